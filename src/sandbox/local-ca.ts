import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalCa {
  dir: string;
  certFile: string;
  keyFile: string;
}

export interface LeafCert {
  certFile: string;
  keyFile: string;
  /** Names in the certificate's subjectAltName. */
  names: string[];
  /** Days the certificate is valid from now. */
  days: number;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** Create a self-signed CA (P-256, 10 years) in `dir` with openssl. */
export async function createLocalCa(dir: string, commonName = 'coder-gitops sandbox CA'): Promise<LocalCa> {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { dir, certFile, keyFile };
}

/**
 * Issue a server certificate for `names` (DNS SANs; `*.x` allowed) signed by the CA, valid for
 * `days` days from now (e.g. 5 for a certificate about to expire). Files: `<file>.pem`, `<file>-key.pem`.
 */
export async function issueLeafCert(
  ca: LocalCa,
  opts: { names: string[]; days: number; file: string; dir?: string },
): Promise<LeafCert> {
  const dir = opts.dir ?? ca.dir;
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, `${opts.file}-key.pem`);
  const csrFile = join(dir, `${opts.file}.csr`);
  const certFile = join(dir, `${opts.file}.pem`);
  const extFile = join(dir, `${opts.file}.ext`);
  await writeFile(
    extFile,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${opts.names.map((n) => `DNS:${n}`).join(',')}`,
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csrFile,
      '-subj',
      `/CN=${opts.names[0] ?? 'localhost'}`,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      String(opts.days),
      '-extfile',
      extFile,
      '-sha256',
    ],
    dir,
  );
  return { certFile, keyFile, names: opts.names, days: opts.days };
}
