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
    "unknown command 'deploy' (use one of validate, plan, apply, verify, drift, sandbox, status-page, history-append, doctor, proxy)",
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

test('proxy delete refuses the hub and wants --yes before deleting anything', async () => {
  const hub = await runCli(['proxy', 'delete', '--region', 'us-east-2', '--yes']);
  expect(hub.code).toBe(2);
  expect(hub.stderr).toContain(
    "input '--region': us-east-2 is the hub: it runs the primary, not a workspace proxy",
  );
  const noYes = await runCli(['proxy', 'delete', '--region', 'us-west-2']);
  expect(noYes.code).toBe(2);
  expect(noYes.stderr).toContain(
    "input '--yes': deleting the workspace proxy of us-west-2 is not undone by a re-run: add --yes",
  );
  const verb = await runCli(['proxy', 'remove', '--region', 'us-west-2']);
  expect(verb.code).toBe(2);
  for (const r of [hub, noYes, verb]) expect(r.stderr).not.toMatch(/\n\s+at /);
});
