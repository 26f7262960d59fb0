import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListChangeSetsCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { resolveCredentials } from '../../src/aws/oidc-credentials.js';
import { runApply, type ApplyOptions } from '../../src/apply/apply-engine.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport } from '../../src/plan/plan-types.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { githubSubjects } from '../helpers/github-subjects.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { REPO_ROOT } from '../helpers/run-action.js';
import { applyOptions, liveStacks as listLiveStacks } from '../helpers/apply-fixture.js';

// Throttling and 5xx on a share of AWS calls, injected by a proxy in front of moto: every run must end
// with the same result as a clean run (retried) or a clear failure, and nothing may be created twice.
// Connections are also dropped without an answer. Faults hit the first attempts of calls (deterministic under concurrency); a seeded share would make the
// outcome depend on which concurrent call draws which number.

const GITOPS = join(REPO_ROOT, 'gitops');
const APPLY_GITOPS = join(REPO_ROOT, 'test', 'fixtures', 'apply-gitops', 'gitops');
const HEAD = 'fa017000000000000000000000000000000000aa';

// The roles' trust is checked (IAM enforced): each token carries the subject of the job using the role.
const SUBJECTS = githubSubjects('coder/coderdemo-gitops');
let moto: MotoServer | undefined;
let proxy: FaultProxy | undefined;
let oidc: OidcTokenServer;
let tmp: string;
beforeAll(async () => {
  oidc = await startOidcTokenServer({ subject: SUBJECTS.pullRequest });
  process.env.ACTIONS_ID_TOKEN_REQUEST_URL = oidc.requestUrl;
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = oidc.requestToken;
  tmp = await mkdtemp(join(tmpdir(), 'reliability-aws-'));
}, 60_000);
afterAll(async () => {
  await stopEmulator();
  await oidc?.close();
  delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  // Clean calls first: a reset bootstraps the roles again, through the proxy.
  proxy!.rules = [];
  await moto!.reset();
  proxy!.resetCounts();
});

/**
 * moto with IAM enforced and the real workflow roles of `project` (github-oidc.yaml applied by the
 * administrator), the fault proxy in front of it: each engine runs as the role its workflow uses.
 */
async function startEmulator(project: string): Promise<void> {
  moto = await startMoto('123456789012', {
    workflowRoles: { repository: 'coder/coderdemo-gitops', project },
  });
  proxy = await startFaultProxy({ upstream: moto.endpoint, seed: 42 });
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
}

async function stopEmulator(): Promise<void> {
  await proxy?.close();
  await moto?.stop();
  proxy = moto = undefined;
}

/** A client factory acting as `<project>-github-<role>`, through GitHub OIDC as the actions get it. */
async function roleAws(
  project: string,
  role: 'plan' | 'deploy',
  maxAttempts?: number,
): Promise<AwsClientFactory> {
  oidc.subject = role === 'plan' ? SUBJECTS.pullRequest : SUBJECTS.deployApply;
  const creds = await resolveCredentials({
    roleToAssume: `arn:aws:iam::123456789012:role/${project}-github-${role}`,
    region: 'us-east-2',
    actionName: `reliability-${role}`,
    runId: String(process.pid),
    allowedAccountIds: ['123456789012'],
    logger: new MemoryLogger(),
  });
  return new AwsClientFactory({ credentials: creds.provider, maxAttempts });
}

/** Stacks apply or plan made (the bootstrapped account stack left out). */
const notAccountStack = (name: string) => !name.endsWith('-github-oidc');

async function enabledRegions(): Promise<string[]> {
  return (await loadGitops(GITOPS)).regions.filter((r) => r.enabled).map((r) => r.name);
}

function plan(regions: string[], aws: AwsClientFactory): Promise<PlanReport> {
  return runPlan({
    gitopsDir: GITOPS,
    regions,
    account: 'never',
    headSha: HEAD,
    baseRef: 'main',
    aws,
    logger: new MemoryLogger(),
  });
}

/** What a reviewer reads: each stack's status, change set and parameters. */
function planShape(report: PlanReport): string[] {
  return report.regions.flatMap((r) =>
    r.stacks.map(
      (s) =>
        `${r.region}/${s.stack}:${s.status}:${s.changeSetName ?? '-'}:${s.parameters.map((p) => `${p.key}=${p.after ?? '?'}`).join(',')}`,
    ),
  );
}

async function changeSetsPerStack(
  report: PlanReport,
  aws: AwsClientFactory,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of report.regions.flatMap((r) => r.stacks).filter((x) => x.changeSetName)) {
    const list = await aws
      .cloudFormation(s.deployRegion)
      .send(new ListChangeSetsCommand({ StackName: s.stackName }));
    // moto lists every change set of the region whatever StackName says: count this stack's own.
    out[s.stackName] = (list.Summaries ?? []).filter((c) => c.StackName === s.stackName).length;
  }
  return out;
}

describe('plan with throttling, 5xx and dropped connections on AWS calls', () => {
  beforeAll(() => startEmulator('coderdemo'), 120_000);
  afterAll(stopEmulator);

  test('ends with the same plan as a clean run, one change set per stack', async () => {
    const regions = await enabledRegions();
    const clean = await plan(regions, await roleAws('coderdemo', 'plan'));
    expect(clean.errors).toEqual([]);
    const cleanShape = planShape(clean);
    expect(cleanShape.some((s) => s.includes(':create:'))).toBe(true);

    await moto!.reset();
    proxy!.resetCounts();
    // The role's keys are issued before any fault (a reset forgets the earlier ones).
    const faultyAws = await roleAws('coderdemo', 'plan');
    // Half the calls throttled on their first try, a third of the rest 503 or 500 on the second.
    proxy!.rules = [
      { firstAttempts: 1, every: 2, fault: 'throttle' },
      { firstAttempts: 2, every: 3, fault: 503 },
      { firstAttempts: 2, every: 4, fault: 500 },
      { firstAttempts: 1, every: 5, fault: 'drop' },
    ];
    const faulty = await plan(regions, faultyAws);
    const injected = [...proxy!.faults().values()].reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThanOrEqual(5);
    expect(faulty.errors).toEqual([]);
    expect(planShape(faulty)).toEqual(cleanShape);

    proxy!.rules = [];
    const counts = await changeSetsPerStack(faulty, new AwsClientFactory());
    expect(Object.values(counts).every((n) => n === 1)).toBe(true);
    expect(Object.keys(counts)).toHaveLength(cleanShape.filter((s) => !s.includes(':-:')).length);
  }, 120_000);

  test('throttled without end: the plan names the stack and the throttling, and is not a stack trace', async () => {
    const regions = await enabledRegions();
    proxy!.rules = [{ operation: 'CreateChangeSet', fault: 'throttle' }];
    const report = await plan(regions, await roleAws('coderdemo', 'plan', 2));
    // Each such stack says why in the report…
    const failed = report.regions.flatMap((r) => r.stacks).filter((s) => s.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((s) => /Throttling: Rate exceeded/.test(s.reason ?? ''))).toBe(true);
    // …and the plan as a whole must fail (errors fail the step): a plan missing change sets is not a plan.
    expect(report.errors.length).toBeGreaterThan(0);
    const text = report.errors.map((e) => e.message).join('\n');
    expect(text).toMatch(/coderdemo-us-east-2-\w+/);
    expect(text).toMatch(/Throttling|Rate exceeded/);
    expect(text).not.toMatch(/\n\s+at /);
    // Nothing half-made: no change set exists for a stack whose CreateChangeSet never got through.
    proxy!.rules = [];
    const stacks = await new AwsClientFactory().cloudFormation('us-east-2').send(new ListStacksCommand({}));
    // (a CREATE change set leaves its stack in REVIEW_IN_PROGRESS: none may exist)
    expect(
      (stacks.StackSummaries ?? [])
        .filter((s) => notAccountStack(s.StackName!))
        .map((s) => `${s.StackName}:${s.StackStatus}`),
    ).toEqual([]);
  }, 180_000);
});

describe('apply with throttling, 5xx and dropped connections on AWS calls', () => {
  // The fixture's project is demo: its roles are demo-github-*, its stacks demo-*.
  beforeAll(() => startEmulator('demo'), 120_000);
  afterAll(stopEmulator);
  let config: GitopsConfig;
  const options = (aws: AwsClientFactory): ApplyOptions =>
    applyOptions({
      config,
      gitopsDir: APPLY_GITOPS,
      regions: ['us-east-2', 'us-west-2'],
      headSha: HEAD,
      aws,
    });
  const liveStacks = async (region: string) =>
    (await listLiveStacks(new AwsClientFactory(), region)).filter(notAccountStack);

  test('creates every stack exactly once, and a re-run has nothing to do', async () => {
    config = await loadGitops(APPLY_GITOPS);
    const zone = await new AwsClientFactory()
      .route53()
      .send(new CreateHostedZoneCommand({ Name: 'demo.test', CallerReference: `rel-${Date.now()}` }));
    config.platform.hostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    const deploy = await roleAws('demo', 'deploy');

    proxy!.rules = [
      { firstAttempts: 1, every: 2, fault: 'throttle' },
      { firstAttempts: 2, every: 3, fault: 503 },
      { operation: /ExecuteChangeSet|CreateChangeSet/, firstAttempts: 1, fault: 500 },
      { firstAttempts: 1, every: 5, fault: 'drop' },
    ];
    const report = await runApply(options(deploy));
    // Every execution's first attempt fails (500); a stack's calls interleave with its concurrent siblings',
    // so which of them the every-Nth rules also hit varies run to run: at least one fault per execution.
    expect(proxy!.faults().get('cloudformation.ExecuteChangeSet')).toBeGreaterThanOrEqual(6);
    expect(report.errors).toEqual([]);
    expect(report.status).toBe('applied');
    expect(report.applied.map((s) => `${s.region}/${s.stack}:${s.result}`)).toEqual([
      'us-east-2/network:created',
      'us-east-2/app:created',
      'us-east-2/dns:created',
      'us-west-2/network:created',
      'us-west-2/app:created',
      'us-west-2/dns:created',
    ]);

    proxy!.rules = [];
    expect(await liveStacks('us-east-2')).toEqual([
      'demo-us-east-2-app',
      'demo-us-east-2-dns',
      'demo-us-east-2-network',
    ]);
    expect(await liveStacks('us-west-2')).toEqual([
      'demo-us-west-2-app',
      'demo-us-west-2-dns',
      'demo-us-west-2-network',
    ]);
    for (const [region, cidr] of [
      ['us-east-2', '10.0.0.0/16'],
      ['us-west-2', '10.1.0.0/16'],
    ] as const) {
      const vpcs = await new AwsClientFactory().ec2(region).send(new DescribeVpcsCommand({}));
      expect((vpcs.Vpcs ?? []).filter((v) => v.CidrBlock === cidr)).toHaveLength(1);
    }

    const executions = () =>
      proxy!.log.filter((c) => c.operation === 'cloudformation.ExecuteChangeSet').length;
    const before = executions();
    const rerun = await runApply(options(deploy));
    expect(rerun.status).toBe('no-changes');
    expect(executions()).toBe(before);
  }, 180_000);
});
