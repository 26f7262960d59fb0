import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../helpers/run-action.js';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${REPO_ROOT}/bin/coder-gitops.js`, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: undefined,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_PROFILE: undefined,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('validate says the gitops tree is valid, per region', async () => {
  const run = await cli(['validate']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('gitops is valid: 3 regions');
  expect(run.stdout).toContain('eu-west-2 spoke disabled, wave 3');
});

test('an unknown command or option is one clear line and exit 2, never a stack trace', async () => {
  const unknown = await cli(['deploy']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain(
    "unknown command 'deploy' (use one of validate, plan, apply, verify, sandbox)",
  );
  const option = await cli(['apply', '--dns', 'drain']);
  expect(option.code).toBe(2);
  expect(option.stderr).toContain("input '--dns': 'drain' is not allowed: use one of promote, hold, remove");
  for (const r of [unknown, option]) expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('plan --offline gives the offline plan as JSON for scripts', async () => {
  const run = await cli(['plan', '--offline', '--region', 'us-west-2', '--json']);
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as {
    mode: string;
    offlineReason: string;
    regions: { region: string }[];
  };
  expect(report.mode).toBe('offline');
  expect(report.offlineReason).toContain('--offline');
  expect(report.regions.map((r) => r.region)).toEqual(['us-west-2']);
}, 60_000);
