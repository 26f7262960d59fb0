import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { runApply, type ApplyOptions } from '../../src/apply/apply-engine.js';
import type { ApplyReport } from '../../src/apply/apply-types.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { createLocalCa, issueLeafCert } from '../../src/sandbox/local-ca.js';
import { registerStandInLoadBalancer } from '../../src/sandbox/stand-in-load-balancers.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { applyOptions, liveStacks as listLiveStacks } from '../helpers/apply-fixture.js';

const GITOPS = new URL('../fixtures/apply-gitops/gitops', import.meta.url).pathname;
const REGIONS = ['us-east-2', 'us-west-2'];

let moto: MotoServer;
let config: GitopsConfig;
let aws: AwsClientFactory;
let tmp: string;
let coder: CoderStandIn;
let caFile: string;

beforeAll(async () => {
  moto = await startMoto();
  tmp = await mkdtemp(join(tmpdir(), 'apply-engine-'));
  const ca = await createLocalCa(join(tmp, 'ca'));
  caFile = ca.certFile;
  const names = REGIONS.flatMap((r) => [`${r}.demo.test`, `*.${r}.demo.test`]);
  const leaf = await issueLeafCert(ca, { names, days: 90, file: 'coder' });
  coder = await startCoderStandIn({ certFile: leaf.certFile, keyFile: leaf.keyFile, host: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await coder?.close();
  await moto?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh account: empty emulator, the existing hosted zone, the fixture config pointing at it. */
async function freshAccount(): Promise<void> {
  await moto.reset();
  aws = new AwsClientFactory();
  config = await loadGitops(GITOPS);
  const zone = await aws
    .route53()
    .send(new CreateHostedZoneCommand({ Name: 'demo.test', CallerReference: `ref-${Date.now()}` }));
  config.platform.hostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
}

function options(over: Partial<ApplyOptions> = {}): ApplyOptions {
  return applyOptions({ config, gitopsDir: GITOPS, regions: REGIONS, headSha: 'a'.repeat(40), aws }, over);
}

function results(report: ApplyReport): string[] {
  return report.applied.map((s) => `${s.region}/${s.stack}:${s.result}`);
}

async function stackParams(region: string, name: string): Promise<Record<string, string>> {
  const out = await aws.cloudFormation(region).send(new DescribeStacksCommand({ StackName: name }));
  return Object.fromEntries(
    (out.Stacks![0]!.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]),
  );
}

function liveStacks(region: string): Promise<string[]> {
  return listLiveStacks(aws, region);
}

async function latencySet(name: string): Promise<string[]> {
  const out = await aws
    .route53()
    .send(new ListResourceRecordSetsCommand({ HostedZoneId: config.platform.hostedZoneId }));
  return (out.ResourceRecordSets ?? [])
    .filter((r) => r.Name === `${name}.` && r.SetIdentifier)
    .map((r) => r.SetIdentifier!)
    .sort();
}

async function recordNames(): Promise<string[]> {
  const out = await aws
    .route53()
    .send(new ListResourceRecordSetsCommand({ HostedZoneId: config.platform.hostedZoneId }));
  return (out.ResourceRecordSets ?? []).map((r) => r.Name!.replace(/\\052/g, '*'));
}

function resolveToStandIn() {
  return REGIONS.flatMap((r) => [
    { host: `${r}.demo.test`, port: 443, address: '127.0.0.1', targetPort: coder.port },
    { host: `*.${r}.demo.test`, port: 443, address: '127.0.0.1', targetPort: coder.port },
  ]);
}

describe('apply-region against the emulator (cluster: skip)', () => {
  beforeAll(freshAccount);

  test('a first rollout from empty creates the hub wave, then the spoke, and reports outputs and cluster vars', async () => {
    const report = await runApply(options());
    expect(report.errors).toEqual([]);
    expect(report.status).toBe('applied');
    expect(results(report)).toEqual([
      'us-east-2/network:created',
      'us-east-2/app:created',
      'us-east-2/dns:created',
      'us-west-2/network:created',
      'us-west-2/app:created',
      'us-west-2/dns:created',
    ]);
    const hubVpc = report.stackOutputs['us-east-2']!.stacks.network!.VpcId!;
    expect(hubVpc).toMatch(/^vpc-/);
    // The spoke read the hub's output across regions.
    expect((await stackParams('us-west-2', 'demo-us-west-2-network')).HubVpcId).toBe(hubVpc);
    expect(report.stackOutputs['us-west-2']!.clusterVars).toEqual({
      cluster_name: 'demo-us-west-2',
      vpc_id: report.stackOutputs['us-west-2']!.stacks.network!.VpcId,
      hub_vpc_id: hubVpc,
    });
    // No load balancer yet: DNS is left alone, and says why.
    for (const r of report.regions) {
      expect(r.cluster).toMatchObject({ status: 'skipped' });
      expect(r.dns).toMatchObject({ status: 'skipped' });
      expect(r.dns!.reason).toMatch(/no load balancer tagged service\.k8s\.aws\/stack=coder\/coder/);
    }
    expect(await recordNames()).not.toContain('us-east-2.demo.test.');
  });

  test('a second run has nothing to do and creates no change set', async () => {
    const before = aws.calls.get('CloudFormation.CreateChangeSet') ?? 0;
    const report = await runApply(options());
    expect(report.status).toBe('no-changes');
    expect(report.applied.every((s) => s.result === 'no-changes')).toBe(true);
    expect(aws.calls.get('CloudFormation.CreateChangeSet') ?? 0).toBe(before);
  });

  test('a changed parameter executes a change set on that stack only', async () => {
    const app = config.regions.find((r) => r.name === 'us-west-2')!.stacks.find((s) => s.name === 'app')!;
    app.parameters.Label = { kind: 'literal', value: 'v2' };
    const report = await runApply(options({ headSha: 'b'.repeat(40) }));
    expect(report.status).toBe('applied');
    expect(results(report).filter((r) => !r.endsWith(':no-changes'))).toEqual(['us-west-2/app:updated']);
    expect((await stackParams('us-west-2', 'demo-us-west-2-app')).Label).toBe('v2');
    expect((await stackParams('us-east-2', 'demo-us-east-2-app')).Label).toBe('v1');
    expect(report.stackOutputs['us-west-2']!.stacks.app!.Label).toBe('v2');
  });

  test('with the NLBs up, promote verifies each region then adds it to latency routing; remove drains one; promote brings it back', async () => {
    for (const r of REGIONS) await registerStandInLoadBalancer(aws, config, r);
    const verify = { caFile, resolve: resolveToStandIn() };

    const promoted = await runApply(options({ verify }));
    expect(promoted.errors).toEqual([]);
    expect(promoted.status).toBe('applied');
    for (const r of promoted.regions) expect(r.verify?.status).toBe('pass');
    expect(await latencySet('demo.test')).toEqual(REGIONS);
    expect(await latencySet('*.demo.test')).toEqual(REGIONS);
    expect(await recordNames()).toEqual(
      expect.arrayContaining(['us-west-2.demo.test.', '*.us-west-2.demo.test.', 'us-east-2.demo.test.']),
    );

    const drained = await runApply(options({ regions: ['us-west-2'], dns: 'remove', verify }));
    expect(drained.status).toBe('applied');
    expect(await latencySet('demo.test')).toEqual(['us-east-2']);
    expect(await latencySet('*.demo.test')).toEqual(['us-east-2']);
    // Its own names stay, so it can still be verified and promoted again.
    expect(await recordNames()).toEqual(
      expect.arrayContaining(['us-west-2.demo.test.', '*.us-west-2.demo.test.']),
    );

    const back = await runApply(options({ regions: ['us-west-2'], verify }));
    expect(back.status).toBe('applied');
    expect(await latencySet('demo.test')).toEqual(REGIONS);

    const again = await runApply(options({ verify }));
    expect(again.status).toBe('no-changes');
  });

  test('apply --account applies the account-level stacks only', async () => {
    const report = await runApply(options({ account: true, regions: [] }));
    expect(report.errors).toEqual([]);
    expect(results(report)).toEqual(['us-east-2/account-marker:created']);
    expect(report.regions[0]!.dns).toBeUndefined();
    expect((await stackParams('us-east-2', 'demo-us-east-2-account-marker')).Repository).toBe('example/demo');
    expect((await runApply(options({ account: true, regions: [] }))).status).toBe('no-changes');
  });

  test('a region whose endpoint fails verification is not promoted', async () => {
    await runApply(options({ regions: ['us-west-2'], dns: 'remove' }));
    const broken = await startCoderStandIn({
      certFile: join(tmp, 'ca', 'coder.pem'),
      keyFile: join(tmp, 'ca', 'coder-key.pem'),
      host: '127.0.0.1',
      forceStatus: 503,
    });
    try {
      const resolve = resolveToStandIn().map((o) => ({ ...o, targetPort: broken.port }));
      const report = await runApply(options({ regions: ['us-west-2'], verify: { caFile, resolve } }));
      expect(report.status).toBe('failed');
      expect(report.regions[0]!.dns?.reason).toMatch(/not promoted: region-only verification fail/);
      expect(await latencySet('demo.test')).toEqual(['us-east-2']);
    } finally {
      await broken.close();
    }
  });
});

describe('an apply interrupted by the emulator going away', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    await freshAccount();
    proxy = await startFaultProxy({ upstream: moto.endpoint });
  });
  afterAll(async () => {
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    await proxy.close();
  });

  test('fails with a clear message, and the re-run completes without creating anything twice', async () => {
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    // The emulator "dies" at the fourth execution: the spoke's network or its dns, which run at once (dns
    // needs nothing); the other one, already running, fails too; app (after network) is not reached.
    proxy.rules = [{ operation: 'ExecuteChangeSet', after: 3, times: 1, fault: 'stop' }];
    const cut = await runApply(options({ aws: new AwsClientFactory({ maxAttempts: 1 }) }));
    expect(cut.status).toBe('failed');
    expect(results(cut)).toEqual([
      'us-east-2/network:created',
      'us-east-2/app:created',
      'us-east-2/dns:created',
      'us-west-2/network:failed',
      'us-west-2/dns:failed',
    ]);
    expect(cut.regions[1]!.stacks.find((s) => s.stack === 'app')).toMatchObject({
      result: 'not-reached',
      message: 'not started: network failed',
    });
    expect(cut.errors.join('\n')).toMatch(
      /us-west-2: demo-us-west-2-network: could not (execute|describe|create) change set .*demo-us-west-2-network.*AWS could not be reached.*re-run apply to continue/,
    );

    await proxy.resume();
    proxy.rules = [];
    const rerun = await runApply(options({ aws: new AwsClientFactory() }));
    expect(rerun.errors).toEqual([]);
    expect(rerun.status).toBe('applied');
    expect(results(rerun)).toEqual([
      'us-east-2/network:no-changes',
      'us-east-2/app:no-changes',
      'us-east-2/dns:no-changes',
      'us-west-2/network:created',
      'us-west-2/app:created',
      'us-west-2/dns:created',
    ]);
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
      const vpcs = await aws.ec2(region).send(new DescribeVpcsCommand({}));
      expect((vpcs.Vpcs ?? []).filter((v) => v.CidrBlock === cidr)).toHaveLength(1);
    }
  }, 120_000);
});
