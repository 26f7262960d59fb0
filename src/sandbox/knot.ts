import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDns } from '../verify/dns-query.js';

export const KNOT_INSTALL_COMMAND = 'apt-get install -y --no-install-recommends knot knot-module-geoip';

export interface KnotRecord {
  /** Relative to the zone (`@`, `us-east-2`, `*.us-east-2`) or absolute with a trailing dot. */
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'TXT';
  value: string;
  ttl?: number;
}

export interface KnotGeoAnswer {
  type: 'A' | 'AAAA' | 'CNAME';
  value: string;
}

/** For clients in `subnet`, `name` answers `answers` (Knot mod-geoip, subnet mode). */
export interface KnotGeoRule {
  subnet: string;
  /** Absolute name, without the trailing dot (`coderdemo.io`, `*.coderdemo.io`). */
  name: string;
  answers: KnotGeoAnswer[];
}

export interface KnotConfig {
  zone: string;
  records: KnotRecord[];
  geo: KnotGeoRule[];
}

export interface KnotServer {
  host: string;
  port: number;
  dir: string;
  /** Rewrite the zone and geo rules and restart knotd on the same port. */
  reload(config: KnotConfig): Promise<void>;
  stop(): Promise<void>;
}

export interface StartKnotOptions extends KnotConfig {
  /** Working directory (default: a new temp dir, removed on stop). */
  dir?: string;
  port?: number;
  knotd?: string;
}

/** Path of knotd with the geoip module, or undefined (install with {@link KNOT_INSTALL_COMMAND}). */
export function findKnotd(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v knotd || ls /usr/sbin/knotd 2>/dev/null'], {
    encoding: 'utf8',
  });
  const path = which.stdout.split('\n')[0]?.trim();
  if (!path || !existsSync(path)) return undefined;
  const hasGeoip = ['/usr/lib/x86_64-linux-gnu/knot', '/usr/lib/aarch64-linux-gnu/knot', '/usr/lib/knot']
    .map((d) =>
      spawnSync('sh', ['-c', `ls ${d}/modules-*/geoip.so 2>/dev/null`], { encoding: 'utf8' }).stdout.trim(),
    )
    .some(Boolean);
  return hasGeoip ? path : undefined;
}

function zoneFile(cfg: KnotConfig): string {
  const origin = `${cfg.zone}.`;
  const lines = [
    `$ORIGIN ${origin}`,
    '$TTL 60',
    `@ 3600 IN SOA ns1.${origin} hostmaster.${origin} ${Math.floor(Date.now() / 1000)} 3600 600 86400 60`,
    `@ 3600 IN NS ns1.${origin}`,
    `ns1 3600 IN A 127.0.0.1`,
  ];
  for (const r of cfg.records) {
    const value = r.type === 'TXT' ? JSON.stringify(r.value) : r.value;
    lines.push(`${r.name} ${r.ttl ?? 60} IN ${r.type} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

function geoFile(cfg: KnotConfig): string {
  const byName = new Map<string, KnotGeoRule[]>();
  for (const g of cfg.geo) byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
  const out: string[] = [];
  for (const [name, rules] of byName) {
    out.push(`${name}:`);
    for (const rule of rules) {
      out.push(`  - net: ${rule.subnet}`);
      // Knot's parser takes a repeated key as several records of that type.
      for (const a of rule.answers) out.push(`    ${a.type}: ${a.value}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function knotConf(dir: string, port: number, zone: string): string {
  return [
    'server:',
    `  rundir: "${dir}"`,
    `  listen: 127.0.0.1@${port}`,
    '  edns-client-subnet: on',
    '  automatic-acl: off',
    'database:',
    `  storage: "${join(dir, 'db')}"`,
    'log:',
    '  - target: stderr',
    '    any: warning',
    'mod-geoip:',
    `  - id: geo`,
    `    config-file: "${join(dir, 'geo.conf')}"`,
    '    ttl: 30',
    '    mode: subnet',
    'template:',
    '  - id: default',
    `    storage: "${dir}"`,
    'zone:',
    `  - domain: ${zone}`,
    `    file: ${zone}.zone`,
    '    module: mod-geoip/geo',
    '',
  ].join('\n');
}

async function writeFiles(dir: string, port: number, cfg: KnotConfig): Promise<string> {
  await mkdir(join(dir, 'db'), { recursive: true });
  await writeFile(join(dir, `${cfg.zone}.zone`), zoneFile(cfg));
  await writeFile(join(dir, 'geo.conf'), geoFile(cfg));
  const conf = join(dir, 'knot.conf');
  await writeFile(conf, knotConf(dir, port, cfg.zone));
  return conf;
}

async function waitReady(port: number, zone: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`knotd exited (${child.exitCode}): ${log()}`);
    try {
      const r = await queryDns({
        server: { host: '127.0.0.1', port },
        name: zone,
        type: 'SOA',
        timeoutMs: 300,
      });
      if (r.rcode === 'NOERROR' && r.answers.length > 0) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`knotd did not answer for ${zone} on port ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Write a Knot config, zone and geo.conf into a dir and run knotd on a free loopback port. */
export async function startKnot(opts: StartKnotOptions): Promise<KnotServer> {
  const knotd = opts.knotd ?? findKnotd();
  if (!knotd) throw new Error(`knotd with the geoip module is not installed: ${KNOT_INSTALL_COMMAND}`);
  const ownDir = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'knot-')));
  const port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (cfg: KnotConfig): Promise<void> => {
    const conf = await writeFiles(dir, port, cfg);
    stderr = '';
    const proc = spawn(knotd, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = proc;
    await waitReady(port, cfg.zone, proc, () => stderr.trim());
  };
  const halt = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };

  try {
    await launch(opts);
  } catch (err) {
    await halt();
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    dir,
    async reload(cfg: KnotConfig) {
      await halt();
      await launch(cfg);
    },
    async stop() {
      await halt();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
