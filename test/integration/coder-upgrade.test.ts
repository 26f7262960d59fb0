/**
 * A Coder chart bump through apply-region (issue 18): against moto for the stacks, one Kubernetes
 * stand-in per region whose Flux substitutes the Coder HelmRelease's chart version and replicas from the
 * cluster-vars apply-region writes, and one Coder stand-in per region reporting what that HelmRelease has
 * deployed. The stand-ins log every deployed change in order, so the test asserts what a user would
 * notice: which region ran which version when.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { runApply } from '../../src/apply/apply-engine.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import { renderPlanMarkdown } from '../../src/report/plan-markdown.js';
import type { ApplyReport } from '../../src/apply/apply-types.js';
import { clusterStepFor } from '../../src/apply/cluster-step.js';
import { coderSecretNames } from '../../src/coder/coder-secret-names.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { createLocalCa, issueLeafCert } from '../../src/sandbox/local-ca.js';
import { registerStandInLoadBalancer } from '../../src/sandbox/stand-in-load-balancers.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { applyOptions } from '../helpers/apply-fixture.js';
import { KubeStandIn, type DeployedChange } from '../helpers/kube-stand-in.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';

const FIXTURE = resolve('test/fixtures/apply-gitops/gitops');
const FLUX_CLI = resolve('test/fixtures/flux-cli-stand-in.mjs');
const MODES = { 'us-east-2': 'primary', 'us-west-2': 'proxy', 'eu-west-2': 'replica' } as const;
type Region = keyof typeof MODES;
const REGIONS = Object.keys(MODES) as Region[];
/** The release each region's Coder runs from: the server (primary, replica) or the workspace proxy. */
const RELEASE = { primary: 'coder', replica: 'coder', proxy: 'coder-proxy' };

let moto: MotoServer;
let aws: AwsClientFactory;
let config: GitopsConfig;
let tmp: string;
let gitops: string;
const kube = new Map<Region, KubeStandIn>();
const coder = new Map<Region, CoderStandIn>();
const eks = mockClient(EKSClient);
let access: {
  caFile: string;
  resolve: { host: string; port: number; address: string; targetPort: number }[];
};

/** The fixture with a replica region, cluster folders, and coder_version / coder_replica_count sources. */
function writeGitops(dir: string): void {
  cpSync(FIXTURE, dir, { recursive: true });
  // The fixture's us-west-2 is a replica (the apply tests promote it into the apex); here it is the proxy.
  const west = readFileSync(join(dir, 'regions/us-west-2.yaml'), 'utf8').replace(
    'coder: replica',
    'coder: proxy',
  );
  writeFileSync(join(dir, 'regions/us-west-2.yaml'), west);
  writeFileSync(
    join(dir, 'regions/eu-west-2.yaml'),
    west
      .replace('region: us-west-2', 'region: eu-west-2')
      .replace('vpcCidr: 10.1.0.0/16', 'vpcCidr: 10.2.0.0/16')
      .replace('coder: proxy', 'coder: replica'),
  );
  for (const region of REGIONS) {
    const file = join(dir, `regions/${region}.yaml`);
    const text = readFileSync(file, 'utf8').replace(
      'clusterVars:\n',
      'clusterVars:\n  coder_version: { field: coderVersion, type: chart-version }\n  coder_replica_count: { value: "1", type: integer }\n',
    );
    writeFileSync(file, text);
    mkdirSync(join(dir, 'clusters', region), { recursive: true });
    writeFileSync(
      join(dir, 'clusters', region, 'flux-system.yaml'),
      [
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: GitRepository',
        'metadata: { name: flux-system, namespace: flux-system }',
        'spec: { interval: 1m, url: https://github.com/example/demo, ref: { branch: main }, secretRef: { name: flux-system } }',
        '---',
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata: { name: flux-system, namespace: flux-system }',
        `spec: { interval: 10m, path: ./gitops/clusters/${region}, prune: true, sourceRef: { kind: GitRepository, name: flux-system } }`,
        '',
      ].join('\n'),
    );
  }
  const platform = join(dir, 'platform.yaml');
  writeFileSync(
    platform,
    `${readFileSync(platform, 'utf8')}\ncoder:\n  license: premium\n  version: "2.27.1"\n`,
  );
}

beforeAll(async () => {
  moto = await startMoto();
  aws = new AwsClientFactory();
  tmp = mkdtempSync(join(tmpdir(), 'coder-upgrade-'));
  gitops = join(tmp, 'gitops');
  writeGitops(gitops);
  config = await loadGitops(gitops);
  const zone = await aws
    .route53()
    .send(new CreateHostedZoneCommand({ Name: 'demo.test', CallerReference: `ref-${Date.now()}` }));
  config.platform.hostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
  const hub = config.platform.hubRegion;
  const sm = aws.secretsManager(hub);
  await sm.send(
    new CreateSecretCommand({
      Name: coderSecretNames('demo').ownerToken,
      SecretString: 'owner-session-token',
    }),
  );
  await sm.send(
    new CreateSecretCommand({
      Name: 'demo/flux-system/git-credentials',
      SecretString: JSON.stringify({ token: 'ghp_x' }),
    }),
  );

  const ca = await createLocalCa(join(tmp, 'ca'));
  access = { caFile: ca.certFile, resolve: [] };
  for (const region of REGIONS) {
    const mode = MODES[region];
    const release = RELEASE[mode];
    const k = await new KubeStandIn({
      helmReleases: [
        {
          namespace: 'coder',
          name: release,
          readyAfterPolls: 1,
          chartVersionVar: 'coder_version',
          ...(mode === 'proxy' ? {} : { replicasVar: 'coder_replica_count' }),
        },
      ],
    }).start();
    kube.set(region, k);
    const leaf = await issueLeafCert(ca, { names: [`${region}.demo.test`], days: 90, file: region });
    const server = await startCoderStandIn({
      certFile: leaf.certFile,
      keyFile: leaf.keyFile,
      accessUrl: `https://${region}.demo.test`,
      ...(mode === 'primary' ? { ownerToken: 'owner-session-token' } : {}),
      // What the cluster runs: the HelmRelease's deployed chart, while it has a replica.
      versionSource: () => {
        const d = k.deployedRelease('coder', release);
        return d?.version && d.replicas > 0 ? `v${d.version}+standin` : undefined;
      },
    });
    coder.set(region, server);
    access.resolve.push({
      host: `${region}.demo.test`,
      port: 443,
      address: '127.0.0.1',
      targetPort: server.port,
    });
    eks.on(DescribeClusterCommand, { name: `demo-${region}` }).resolves({
      cluster: { name: `demo-${region}`, endpoint: k.url, certificateAuthority: { data: k.caData } },
    });
    await registerStandInLoadBalancer(aws, config, region);
  }
}, 120_000);

afterAll(async () => {
  eks.restore();
  for (const s of coder.values()) await s.close();
  for (const k of kube.values()) await k.stop();
  await moto?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function apply(version: string, logger = new MemoryLogger()): Promise<ApplyReport> {
  config.platform.coder.version = version;
  const step = clusterStepFor('eks', { fluxCli: FLUX_CLI })!;
  return runApply(
    applyOptions(
      { config, gitopsDir: gitops, regions: REGIONS, headSha: 'a'.repeat(40), aws },
      {
        dns: 'hold',
        cluster: 'eks',
        // A failed upgrade is a HelmRelease that never becomes Ready: capped so the test does not wait 10 min.
        clusterStep: (input) => step({ ...input, timeoutMs: Math.min(input.timeoutMs, 6000) }),
        coderUpgrade: { ...access, primaryWaitMs: 10_000, pollMs: 100 },
        logger,
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 200))),
      },
    ),
  );
}

interface Change extends DeployedChange {
  region: Region;
}

/** Every deployed change of every region, in the order it happened. */
function timeline(): Change[] {
  return REGIONS.flatMap((region) => kube.get(region)!.deployedLog.map((c) => ({ ...c, region }))).sort(
    (a, b) => a.seq - b.seq,
  );
}

const minor = (v: string | undefined) => v?.split('.').slice(0, 2).join('.');

test('the plan of a Coder chart bump (gitops/ as it is, coder.version 2.27.1 → 2.28.0) names the shared schema migration and the order, in the dangers and the JSON', async () => {
  // Flux paths are relative to the repository root (./gitops/…): each side is a gitops/ in its own root.
  const base = join(tmp, 'plan-base', 'gitops');
  const head = join(tmp, 'plan-head', 'gitops');
  cpSync(resolve('gitops'), base, { recursive: true });
  cpSync(resolve('gitops'), head, { recursive: true });
  const platform = join(head, 'platform.yaml');
  writeFileSync(platform, readFileSync(platform, 'utf8').replace('version: "2.27.1"', 'version: "2.28.0"'));
  const report = await runPlan({
    gitopsDir: head,
    baseDir: base,
    regions: 'all',
    account: 'never',
    headSha: 'b'.repeat(40),
    baseRef: 'main',
    offlineReason: 'test',
    logger: new MemoryLogger(),
  });
  expect(report.errors).toEqual([]);
  const json = JSON.parse(JSON.stringify(report)) as typeof report;
  const finding = json.findings.find((f) => f.rule === 'coder-version-change');
  expect(finding).toMatchObject({
    level: 'high',
    region: 'us-east-2',
    subject: 'platform.yaml coder.version',
  });
  // eu-west-2 is switched off in gitops/: one proxy follows.
  expect(finding!.message).toContain(
    'Coder 2.27.1 → 2.28.0: shared schema migration: primary first, then 1 proxy (0 replicas scaled down first). Order: 1. us-east-2 (primary): upgrade, then wait until /api/v2/buildinfo reports 2.28.0 and it is healthy; 2. us-west-2 (proxy)',
  );
  expect(json.coderUpgrade).toMatchObject({
    from: '2.27.1',
    to: '2.28.0',
    primary: 'us-east-2',
    proxies: ['us-west-2'],
    replicas: [],
  });
  expect(json.risk).toBe('high');
  // The version reaches each region as a cluster variable apply-region writes, not as a manifest change.
  const east = json.regions.find((r) => r.region === 'us-east-2')!;
  expect(east.clusterVars).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ name: 'coder_version', before: '2.27.1', after: '2.28.0' }),
    ]),
  );
  const { markdown } = renderPlanMarkdown(report, { budget: 65_536, marker: '<!-- coder-gitops:plan -->' });
  const warnings = markdown.indexOf('### Warnings');
  const dangers = markdown.slice(markdown.indexOf('### ⚠️ Dangers'), warnings < 0 ? undefined : warnings);
  expect(dangers).toContain('**coder-version-change** (us-east-2)');
  expect(dangers).toContain(
    'shared schema migration: primary first, then 1 proxy (0 replicas scaled down first)',
  );
  expect(dangers).toContain('does not support downgrades across migrations');
}, 120_000);

test('a Coder bump: replicas scaled down, the primary upgraded and waited on, then the others; no two servers on different minors against the schema', async () => {
  const installed = await apply('2.27.1');
  expect(installed.errors).toEqual([]);
  for (const region of REGIONS) expect(coder.get(region)!.version()).toBe('v2.27.1+standin');
  const before = timeline().length;

  const logger = new MemoryLogger();
  const report = await apply('2.28.0', logger);
  expect(report.errors).toEqual([]);
  const primary = report.regions.find((r) => r.region === 'us-east-2')!;
  expect(primary.coderVersion).toMatchObject({
    status: 'upgraded',
    version: '2.28.0',
    primaryBefore: 'v2.27.1+standin',
    scaledDown: ['eu-west-2'],
    order: {
      from: '2.27.1',
      to: '2.28.0',
      primary: 'us-east-2',
      proxies: ['us-west-2'],
      replicas: ['eu-west-2'],
    },
  });
  expect(logger.text()).toContain(
    'Coder 2.27.1 → 2.28.0: shared schema migration: primary first, then 1 proxy (1 replica scaled down first)',
  );
  for (const region of REGIONS) expect(coder.get(region)!.version()).toBe('v2.28.0+standin');

  const changes = timeline().slice(before);
  const at = (region: Region, pred: (c: Change) => boolean) =>
    changes.find((c) => c.region === region && pred(c))!;
  const replicaDown = at('eu-west-2', (c) => c.replicas === 0);
  const primaryUp = at('us-east-2', (c) => c.version === '2.28.0');
  const proxyUp = at('us-west-2', (c) => c.version === '2.28.0');
  const replicaUp = at('eu-west-2', (c) => c.version === '2.28.0' && c.replicas > 0);
  expect(replicaDown.version).toBe('2.27.1');
  // The order a user would see: the old replica gone, then the primary on the new version, then the rest.
  expect(replicaDown.seq).toBeLessThan(primaryUp.seq);
  expect(primaryUp.seq).toBeLessThan(proxyUp.seq);
  expect(primaryUp.seq).toBeLessThan(replicaUp.seq);

  // Replay the timeline: whenever a server (primary or replica with replicas up) ran, no two ran different minors.
  const state = new Map<Region, { version?: string; replicas: number }>(
    REGIONS.map((r) => [r, { version: '2.27.1', replicas: 1 }]),
  );
  for (const c of changes) {
    state.set(c.region, { version: c.version, replicas: c.replicas });
    const serving = REGIONS.filter((r) => MODES[r] !== 'proxy' && state.get(r)!.replicas > 0).map((r) =>
      minor(state.get(r)!.version),
    );
    expect({ after: `${c.region} ${c.version} x${c.replicas}`, minors: [...new Set(serving)] }).toEqual({
      after: `${c.region} ${c.version} x${c.replicas}`,
      minors: [expect.any(String)],
    });
  }
}, 180_000);

test('a bump where the primary does not become healthy leaves every proxy on the old version and fails with the reason and how to roll forward', async () => {
  kube.get('us-east-2')!.options.helmReleases![0]!.failingVersions = ['2.29.0'];
  const before = timeline().length;
  const report = await apply('2.29.0');
  expect(report.status).toBe('failed');
  const primary = report.regions.find((r) => r.region === 'us-east-2')!;
  expect(primary.status).toBe('failed');
  expect(primary.error).toMatch(
    /^coder upgrade: Coder upgrade 2\.28\.0 → 2\.29\.0 failed on the primary us-east-2: /,
  );
  expect(primary.error).toContain('Helm upgrade failed for release coder/coder with chart coder@2.29.0');
  expect(primary.error).toContain('every proxy was left on 2.28.0');
  expect(primary.error).toContain('Roll forward');
  expect(primary.error).toContain(
    'do not revert coder.version (Coder does not support downgrades across migrations',
  );
  for (const region of ['us-west-2', 'eu-west-2'] as Region[]) {
    const r = report.regions.find((x) => x.region === region)!;
    expect(r.status).toBe('skipped');
    expect(r.error).toBe('not started: an earlier wave failed');
  }
  // Nothing reached 2.29.0; the proxy still serves 2.28.0; the replica stays down rather than serve an old version.
  expect(
    timeline()
      .slice(before)
      .filter((c) => c.version === '2.29.0'),
  ).toEqual([]);
  expect(coder.get('us-west-2')!.version()).toBe('v2.28.0+standin');
  expect(coder.get('us-east-2')!.version()).toBe('v2.28.0+standin');
  expect(kube.get('eu-west-2')!.deployedRelease('coder', 'coder')).toEqual({
    version: '2.28.0',
    replicas: 0,
  });
}, 120_000);

test('a proxy applied on its own never runs ahead of the primary', async () => {
  config.platform.coder.version = '2.29.0';
  const step = clusterStepFor('eks', { fluxCli: FLUX_CLI })!;
  const report = await runApply(
    applyOptions(
      { config, gitopsDir: gitops, regions: ['us-west-2'], headSha: 'a'.repeat(40), aws },
      { dns: 'hold', cluster: 'eks', clusterStep: step, coderUpgrade: { ...access, pollMs: 100 } },
    ),
  );
  const proxy = report.regions[0]!;
  expect(proxy.status).toBe('failed');
  expect(proxy.error).toContain(
    'the Coder primary us-east-2 runs 2.28.0, not 2.29.0: a proxy never runs ahead of the primary',
  );
  expect(coder.get('us-west-2')!.version()).toBe('v2.28.0+standin');
}, 60_000);
