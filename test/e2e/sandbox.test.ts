import { findKnotd } from '../../src/sandbox/knot.js';
import { runCli } from '../helpers/run-cli.js';

interface SandboxJson {
  ok: boolean;
  steps: { name: string; status: string; detail: string }[];
  regions: { region: string; stacks: string; cluster: string; dns: string; verify: string }[];
  verify?: {
    status: string;
    matrix?: { cells: { vantage: string; name: string; answeredRegion?: string; status: string }[] };
  };
  env?: Record<string, string>;
  statusPage?: string;
}

const knotd = findKnotd();
if (!knotd && process.env.CI !== 'true') {
  console.warn(
    'SKIPPING the routing part of the sandbox test: knotd with the geoip module is missing (apt-get install knot knot-module-geoip)',
  );
}

test('the sandbox applies, promotes and verifies every enabled region, then stops everything', async () => {
  const run = await runCli(['sandbox', '--json']);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as SandboxJson;
  expect(report.ok).toBe(true);
  expect(report.regions.map((r) => r.region)).toEqual(['us-east-2', 'us-west-2']);
  // The hub also runs both databases (aurora, litellm-db); a spoke runs its hub-routes instead.
  const stacks: Record<string, number> = { 'us-east-2': 6, 'us-west-2': 5 };
  // us-west-2 is a workspace proxy: its own names only, never the apex latency set (coder-topology.ts).
  const dns: Record<string, string> = {
    'us-east-2': 'in latency routing',
    'us-west-2': 'not in latency routing',
  };
  for (const r of report.regions) {
    expect(r.stacks).toMatch(new RegExp(`^applied \\(${stacks[r.region]} stacks\\)`));
    expect(r.dns).toBe(dns[r.region]);
    expect(r.cluster).toContain('not run: no Kubernetes API');
  }
  expect(report.steps.find((s) => s.name.startsWith('bootstrap'))?.status).toBe('ok');
  expect(report.verify?.status).toBe('pass');
  if (knotd || process.env.CI === 'true') {
    const cells = report.verify?.matrix?.cells ?? [];
    const oregon = cells.filter((c) => c.vantage === 'oregon');
    expect(oregon.length).toBeGreaterThan(0);
    // The apex is the primary's for everyone while the other regions are proxies (the dashboard picks a
    // proxy itself); no region but the primary is in the latency set, so there is nothing to drain.
    expect(oregon.every((c) => c.answeredRegion === 'us-east-2' && c.status === 'pass')).toBe(true);
    expect(report.steps.find((s) => s.name.startsWith('drain '))).toBeUndefined();
  } else {
    expect(report.steps.find((s) => s.name === 'Knot DNS')?.detail).toContain('apt-get install');
  }
  expect(report.env).toBeUndefined();
  // The status page: this verify as the last of a few runs, one region degraded in an earlier one.
  const { readFileSync } = await import('node:fs');
  expect(report.steps.find((s) => s.name === 'status page from a few runs of history')?.detail).toMatch(
    /^5 runs \(the last is this verify; us-west-2 degraded in a simulated earlier one\)/,
  );
  const page = readFileSync(report.statusPage!, 'utf8');
  for (const region of ['us-east-2', 'us-west-2'])
    expect(page).toContain(`<tr class="region" data-region="${region}" data-state="up">`);
  expect(page).toContain('<tr class="incident" data-key="https:us-west-2" data-ongoing="false">');
  // Nothing left running: no moto or knotd of this run survives it.
  const { execFileSync } = await import('node:child_process');
  const ps = execFileSync('ps', ['-eo', 'args']).toString();
  const motoPort = /moto on http:\/\/127\.0\.0\.1:(\d+)/.exec(
    report.steps.map((s) => s.detail).join('\n'),
  )?.[1];
  expect(motoPort).toBeDefined();
  expect(ps).not.toContain(`-p ${motoPort}`);
}, 180_000);
