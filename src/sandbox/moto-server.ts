import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLauncherEvents, type LauncherEvent } from './emulator-no-ops.js';
import { freePort } from './free-port.js';
import { fileURLToPath } from 'node:url';

/** moto's server with the ExecuteChangeSet outputs gap closed (see the launcher's docstring). */
const LAUNCHER = fileURLToPath(new URL('./moto-launcher.py', import.meta.url));

export interface MotoServer {
  endpoint: string;
  port: number;
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
}

/** Start the moto AWS emulator on a free loopback port and wait until it answers. */
export async function startMotoServer(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const port = opts.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const eventsDir = mkdtempSync(join(tmpdir(), 'moto-events-'));
  const eventsFile = join(eventsDir, 'events.jsonl');
  const child = spawn(opts.python ?? 'python3', [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    env: {
      ...process.env,
      MOTO_ACCOUNT_ID: opts.accountId ?? process.env.MOTO_ACCOUNT_ID ?? '123456789012',
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
  return {
    endpoint,
    port,
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
