import { runCli } from '../helpers/run-cli.js';

test('validate says the gitops tree is valid, per region', async () => {
  const run = await runCli(['validate']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('gitops is valid: 3 regions');
  expect(run.stdout).toContain('eu-west-2 spoke disabled, wave 3');
});

test('an unknown command or option is one clear line and exit 2, never a stack trace', async () => {
  const unknown = await runCli(['deploy']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain(
    "unknown command 'deploy' (use one of validate, plan, apply, verify, sandbox, status-page, history-append)",
  );
  const option = await runCli(['apply', '--dns', 'drain']);
  expect(option.code).toBe(2);
  expect(option.stderr).toContain("input '--dns': 'drain' is not allowed: use one of promote, hold, remove");
  for (const r of [unknown, option]) expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('plan --offline gives the offline plan as JSON for scripts', async () => {
  const run = await runCli(['plan', '--offline', '--region', 'us-west-2', '--json']);
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
