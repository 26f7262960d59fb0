import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { runApply, type ApplyOptions } from '../../src/apply/apply-engine.js';
import type { ApplyReport } from '../../src/apply/apply-types.js';
import { readRecordedRegions } from '../../src/drift/apply-report-records.js';
import { runDrift } from '../../src/drift/drift-engine.js';
import { DRIFT_INCIDENTS, syncDriftIncidents } from '../../src/drift/drift-incidents.js';
import type { DriftReport } from '../../src/drift/drift-types.js';
import { INCIDENT_LABEL } from '../../src/github/incident-issues.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { createLocalCa, issueLeafCert } from '../../src/sandbox/local-ca.js';
import { registerStandInLoadBalancer } from '../../src/sandbox/stand-in-load-balancers.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { applyOptions } from '../helpers/apply-fixture.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { runCli } from '../helpers/run-cli.js';

const GITOPS = new URL('../fixtures/apply-gitops/gitops', import.meta.url).pathname;
const REGIONS = ['us-east-2', 'us-west-2'];
const REPO = { owner: 'example', repo: 'demo' };

let moto: MotoServer;
let github: GitHubApiStandIn;
let coder: CoderStandIn;
let config: GitopsConfig;
let aws: AwsClientFactory;
let tmp: string;
let caFile: string;
let reports: string;

beforeAll(async () => {
  moto = await startMoto();
  github = await startGitHubApiStandIn();
  tmp = await mkdtemp(join(tmpdir(), 'drift-'));
  reports = join(tmp, 'apply-reports');
  const ca = await createLocalCa(join(tmp, 'ca'));
  caFile = ca.certFile;
  const leaf = await issueLeafCert(ca, {
    names: REGIONS.flatMap((r) => [`${r}.demo.test`, `*.${r}.demo.test`]),
    days: 90,
    file: 'coder',
  });
  coder = await startCoderStandIn({ certFile: leaf.certFile, keyFile: leaf.keyFile, host: '127.0.0.1' });
  aws = new AwsClientFactory();
  config = await loadGitops(GITOPS);
  const zone = await aws
    .route53()
    .send(new CreateHostedZoneCommand({ Name: 'demo.test', CallerReference: `ref-${Date.now()}` }));
  config.platform.hostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
}, 60_000);

afterAll(async () => {
  await coder?.close();
  await github?.close();
  await moto?.stop();
  await rm(tmp, { recursive: true, force: true });
});

function options(over: Partial<ApplyOptions> = {}): ApplyOptions {
  const resolve = REGIONS.flatMap((r) => [
    { host: `${r}.demo.test`, port: 443, address: '127.0.0.1', targetPort: coder.port },
    { host: `*.${r}.demo.test`, port: 443, address: '127.0.0.1', targetPort: coder.port },
  ]);
  return applyOptions(
    { config, gitopsDir: GITOPS, regions: REGIONS, headSha: 'd'.repeat(40), aws },
    { verify: { caFile, resolve }, ...over },
  );
}

/** apply-region as deploy.yml runs it; its JSON report kept where the drift job finds it (the artifact). */
async function rollout(name: string): Promise<ApplyReport> {
  const report = await runApply(options());
  expect(report.errors).toEqual([]);
  await writeFile(join(reports, `${name}.json`), JSON.stringify(report));
  return report;
}

async function drift(): Promise<DriftReport> {
  await import('node:fs/promises').then((fs) => fs.mkdir(reports, { recursive: true }));
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(reports)).map((f) => join(reports, f));
  return runDrift({
    config,
    regions: REGIONS,
    checks: ['stacks', 'dns'],
    aws: new AwsClientFactory(),
    recorded: await readRecordedRegions(files),
    endpointUrl: moto.endpoint,
    logger: new MemoryLogger(),
    sleep: async () => undefined,
  });
}

async function sync(report: DriftReport) {
  return syncDriftIncidents({ report, repo: REPO, token: 'ghs_test', apiUrl: github.url, now: new Date() });
}

/** A person in the console points the us-west-2 entry of the apex latency set somewhere else. */
async function changeLatencyRecordByHand(): Promise<void> {
  const route53 = aws.route53();
  const list = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: config.platform.hostedZoneId }),
  );
  const entry = list.ResourceRecordSets!.find(
    (r) => r.Name === 'demo.test.' && r.SetIdentifier === 'us-west-2',
  )!;
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: config.platform.hostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              ...entry,
              AliasTarget: {
                ...entry.AliasTarget!,
                DNSName: 'maintenance-page.elb.us-west-2.amazonaws.com.',
              },
            },
          },
        ],
      },
    }),
  );
}

test('a latency record changed by hand after a rollout is reported in one run and opens one issue; after apply-region restores it the next run closes it', async () => {
  await import('node:fs/promises').then((fs) => fs.mkdir(reports, { recursive: true }));
  // The first rollout creates the stacks; the NLBs appear once Coder runs; the second promotes.
  await runApply(options());
  for (const r of REGIONS) await registerStandInLoadBalancer(aws, config, r);
  const first = await rollout('apply-report-1');
  expect(first.regions.map((r) => r.dns?.recorded?.latency?.length)).toEqual([2, 2]);

  const clean = await drift();
  expect(clean.status).toBe('in-sync');
  expect(clean.dns.flatMap((d) => d.records.map((r) => r.status))).toEqual(Array(8).fill('in-sync'));
  // moto has no drift API: said once per stack, never a failure.
  expect(clean.stacks.length).toBeGreaterThan(0);
  for (const s of clean.stacks) {
    expect(s.status).toBe('not-available');
    expect(s.reason).toMatch(/not available in this emulator/);
  }
  expect(clean.errors).toEqual([]);
  expect(await sync(clean)).toEqual({ opened: [], updated: [], closed: [], issues: {} });

  await changeLatencyRecordByHand();
  const drifted = await drift();
  expect(drifted.status).toBe('drifted');
  const changed = drifted.dns.flatMap((d) => d.records).filter((r) => r.status !== 'in-sync');
  expect(changed).toEqual([
    expect.objectContaining({
      region: 'us-west-2',
      name: 'demo.test',
      setIdentifier: 'us-west-2',
      kind: 'latency-alias',
      status: 'modified',
      fields: [
        {
          field: 'AliasTarget.DNSName',
          expected: expect.stringMatching(/us-west-2/),
          actual: 'maintenance-page.elb.us-west-2.amazonaws.com',
        },
      ],
    }),
  ]);
  const opened = await sync(drifted);
  expect(opened.opened).toHaveLength(1);
  const issue = github.issues.find((i) => i.number === opened.opened[0])!;
  expect(issue.labels).toEqual([DRIFT_INCIDENTS.label]);
  expect(issue.labels).not.toContain(INCIDENT_LABEL);
  expect(issue.title).toBe('coder-gitops drift: demo.test A (latency us-west-2) changed by hand');
  expect(issue.body).toContain('<!-- coder-gitops:drift:dns:demo.test/A/us-west-2 -->');
  expect(issue.body).toContain('maintenance-page.elb.us-west-2.amazonaws.com');
  // The same drift again: nothing new (no second issue, no comment).
  expect(await sync(await drift())).toMatchObject({ opened: [], updated: [], closed: [] });

  const restored = await rollout('apply-report-2');
  expect(restored.regions.find((r) => r.region === 'us-west-2')!.dns?.changes).toEqual([
    'UPSERT demo.test A (latency us-west-2)',
  ]);
  const back = await drift();
  expect(back.status).toBe('in-sync');
  const closed = await sync(back);
  expect(closed.closed).toEqual(opened.opened);
  expect(github.issues.find((i) => i.number === opened.opened[0])!.state).toBe('closed');
  expect(github.comments.at(-1)!.body).toMatch(
    /^Back in sync at .*: \*\*dns:demo\.test\/A\/us-west-2\*\* matches Git again/,
  );
}, 180_000);

test('the drift command reports the same through the CLI, text and exit code', async () => {
  await changeLatencyRecordByHand();
  const env = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    GITHUB_API_URL: github.url,
    GITHUB_TOKEN: 'ghs_test',
  };
  const args = [
    'drift',
    '--gitops-dir',
    GITOPS,
    '--hosted-zone-id',
    config.platform.hostedZoneId,
    '--apply-report',
    reports,
    '--incident-issue',
    '--repository',
    'example/demo',
  ];
  const before = github.issues.length;
  const summary = join(tmp, 'step-summary.md');
  const run = await runCli(args, { ...env, GITHUB_STEP_SUMMARY: summary });
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(
    /demo\.test A \(latency us-west-2\)\s+us-west-2\s+modified\s+AliasTarget\.DNSName: .* → maintenance-page/,
  );
  expect(run.stdout).toContain('CloudFormation drift detection not available in this emulator');
  expect(run.stdout).toMatch(/drifted: 0 stacks and 1 record set differ from Git/);
  expect(github.issues).toHaveLength(before + 1);
  const written = await readFile(summary, 'utf8');
  expect(written).toContain('## coder-gitops drift');
  expect(written).toMatch(/drifted: 0 stacks and 1 record set differ from Git/);
  expect(written).toContain('maintenance-page.elb.us-west-2.amazonaws.com');

  await runApply(options());
  const json = await runCli([...args, '--json'], env);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as DriftReport & { incidents: { closed: number[] } };
  expect(report.status).toBe('in-sync');
  expect(report.incidents.closed).toEqual([before + 1]);
}, 120_000);
