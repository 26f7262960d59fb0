import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLauncherEvents, type LauncherEvent } from './emulator-no-ops.js';
import { freePort } from './free-port.js';
import { fileURLToPath } from 'node:url';
import { evaluateWebIdentityTrust, type WebIdentityRequest } from '../aws/iam/web-identity-trust.js';

/** moto's server with the ExecuteChangeSet outputs gap closed (see the launcher's docstring). */
const LAUNCHER = fileURLToPath(new URL('./moto-launcher.py', import.meta.url));

/**
 * The bootstrap's own administrator (a user with an inline `*` policy) the launcher seeds when IAM is
 * enforced, again after every reset. Emulator-only keys: they open nothing outside this machine.
 */
export const MOTO_ADMINISTRATOR = {
  userName: 'sandbox-administrator',
  accessKeyId: 'AKIASANDBOXADMIN0001',
  secretAccessKey: 'sandbox-administrator-secret',
} as const;

/** What the emulator enforces with `iam: 'enforce'`, and what it leaves to the policy test (for reports). */
export const MOTO_IAM_ENFORCEMENT = {
  enforced: [
    "every request's action against the caller's identity policies (users and assumed roles, AWS managed policies loaded)",
    "AssumeRoleWithWebIdentity against the role's trust policy (token sub/aud, provider, client ids)",
  ],
  notEnforced: [
    'resources for most services (a scoped Allow matches whatever it names; a scoped Deny applies only to IAM/STS/S3/SQS resources)',
    'condition keys (a conditioned Deny is not applied): test/policy simulates resources and conditions',
    'permissions boundaries, and the CloudFormation execution role (moto creates stack resources without it)',
  ],
} as const;

export interface MotoServer {
  endpoint: string;
  port: number;
  /** `enforce`: access control on from the first request, the administrator above seeded. */
  iam: 'off' | 'enforce';
  /** Clear all emulated state. */
  reset(): Promise<void>;
  stop(): Promise<void>;
  process: ChildProcess;
  /** What the launcher recorded moto accepting without doing it (stand-ins, no-op updates), oldest first. */
  events(): LauncherEvent[];
}

export interface StartMotoOptions {
  /** Account the emulator pretends to be (MOTO_ACCOUNT_ID). */
  accountId?: string;
  port?: number;
  python?: string;
  readyTimeoutMs?: number;
  /**
   * `enforce`: IAM actions checked on every request (`POST /moto-api/reset-auth` with 0 once moto
   * answers), web-identity trust evaluated, AWS managed policies loaded; use MOTO_ADMINISTRATOR's keys
   * to set things up. Default `off`.
   */
  iam?: 'off' | 'enforce';
}

/** Serve the trust evaluator to the launcher (moto-launcher.py posts each AssumeRoleWithWebIdentity). */
async function startTrustEvaluator(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const verdict = evaluateWebIdentityTrust(
          JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebIdentityRequest,
        );
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(verdict));
      } catch (err) {
        const reason = `the trust evaluator could not read the request: ${String(err)}`;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ allowed: false, reason }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/trust`, server };
}

/** Start the moto AWS emulator on a free loopback port and wait until it answers. */
export async function startMotoServer(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const port = opts.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const iam = opts.iam ?? 'off';
  const evaluator = iam === 'enforce' ? await startTrustEvaluator() : undefined;
  const eventsDir = mkdtempSync(join(tmpdir(), 'moto-events-'));
  const eventsFile = join(eventsDir, 'events.jsonl');
  const child = spawn(opts.python ?? 'python3', [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    env: {
      ...process.env,
      MOTO_ACCOUNT_ID: opts.accountId ?? process.env.MOTO_ACCOUNT_ID ?? '123456789012',
      ...(evaluator
        ? {
            MOTO_TRUST_EVALUATOR_URL: evaluator.url,
            MOTO_ADMIN_ACCESS_KEY_ID: MOTO_ADMINISTRATOR.accessKeyId,
            MOTO_ADMIN_SECRET_ACCESS_KEY: MOTO_ADMINISTRATOR.secretAccessKey,
            MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
          }
        : {}),
      MOTO_LAUNCHER_EVENTS: eventsFile,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
    evaluator?.server.close();
    rmSync(eventsDir, { recursive: true, force: true });
  });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited)
      throw new Error(`moto exited before it was ready (is moto installed for python3?): ${stderr.trim()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `moto did not answer on ${endpoint} within ${opts.readyTimeoutMs ?? 30_000} ms: ${stderr.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (iam === 'enforce') {
    const res = await fetch(`${endpoint}/moto-api/reset-auth`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '0',
    });
    if (!res.ok) throw new Error(`moto refused to turn access control on: ${res.status} ${await res.text()}`);
  }
  return {
    endpoint,
    port,
    iam,
    process: child,
    events: () => readLauncherEvents(eventsFile),
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      if (exited) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}
