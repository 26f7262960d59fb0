import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { clusterStepFor } from '../../../src/apply/cluster-step.js';
import { ensureCluster, type EnsureClusterOptions } from '../../../src/cluster/ensure-cluster.js';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../../src/gitops/types.js';
import { MemoryLogger } from '../../../src/util/logger.js';
import { KubeStandIn, type KubeStandInOptions } from '../../helpers/kube-stand-in.js';
import { startMoto, type MotoServer } from '../../helpers/moto.js';

const REGION = 'us-west-2';
// The repository's own gitops/: its cluster folder is what a real rollout applies.
const GITOPS = resolve('gitops');
const FLUX_CLI = resolve('test/fixtures/flux-cli-stand-in.mjs');
const GIT_TOKEN = 'ghp_standInGitToken0123456789';
const DEPLOY_ROLE = 'arn:aws:iam::123456789012:role/coderdemo-deploy';
let config: GitopsConfig;
let PIN: string;
const clusterVars = {
  region: REGION,
  cluster_name: 'coderdemo-us-west-2',
  domain: 'coderdemo.io',
  aws_account_id: '123456789012',
};

let moto: MotoServer;
let aws: AwsClientFactory;
const standIns: KubeStandIn[] = [];
// moto's EKS answers DescribeCluster with an endpoint nobody listens on: EKS here answers with the stand-in's.
const eks = mockClient(EKSClient);

/** eks:DescribeCluster answers with this stand-in's endpoint and CA (as EKS does for the real cluster). */
function describeAs(s: KubeStandIn): void {
  eks.reset();
  eks.on(DescribeClusterCommand, { name: 'coderdemo-us-west-2' }).resolves({
    cluster: { name: 'coderdemo-us-west-2', endpoint: s.url, certificateAuthority: { data: s.caData } },
  });
}

beforeAll(async () => {
  config = await loadGitops(GITOPS);
  PIN = config.platform.flux.version;
  moto = await startMoto('123456789012');
  // The deploy role's session, as the workflow has it after OIDC: its ARN names the role in messages.
  const assumed = await new STSClient({ region: REGION }).send(
    new AssumeRoleCommand({ RoleArn: DEPLOY_ROLE, RoleSessionName: 'apply-region' }),
  );
  const c = assumed.Credentials;
  aws = new AwsClientFactory({
    credentials: async () => ({
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    }),
  });
  // The operators keep the secrets in the hub region (gitops/README.md); clusters in every region read them there.
  await aws.secretsManager(config.platform.hubRegion).send(
    new CreateSecretCommand({
      Name: 'coderdemo/flux-git',
      SecretString: JSON.stringify({ token: GIT_TOKEN }),
    }),
  );
});

afterAll(async () => {
  eks.restore();
  for (const s of standIns) await s.stop();
  await moto.stop();
});

async function standIn(opts: KubeStandInOptions): Promise<KubeStandIn> {
  const s = await new KubeStandIn(opts).start();
  standIns.push(s);
  return s;
}

/** A run with a fake clock: every poll's sleep moves time on, so a timeout is reached without waiting. */
function options(
  s: KubeStandIn,
  logger: MemoryLogger,
  over: Partial<EnsureClusterOptions> = {},
): EnsureClusterOptions {
  let t = Date.UTC(2026, 10, 29, 12, 0, 0);
  describeAs(s);
  return {
    region: REGION,
    gitopsDir: GITOPS,
    config,
    access: { mode: 'eks', clusterName: 'coderdemo-us-west-2', aws },
    clusterVars,
    fluxCli: FLUX_CLI,
    gitCredentialSecretId: 'coderdemo/flux-git',
    timeoutMs: 10 * 60_000,
    pollMs: 10_000,
    logger,
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    ...over,
  };
}

test('a fresh cluster gets Flux, the sync objects, the Git credential and cluster-vars, and is waited on until Ready; a second run changes nothing', async () => {
  const s = await standIn({
    helmReleases: [
      { namespace: 'flux-system', name: 'aws-load-balancer-controller', readyAfterPolls: 1 },
      { namespace: 'coder', name: 'coder', readyAfterPolls: 3 },
    ],
  });
  const logger = new MemoryLogger();
  const report = await ensureCluster(options(s, logger));

  expect(report.reason).toBeUndefined();
  expect(report.status).toBe('ready');
  expect(report.fluxInstalled).toBe(true);
  expect(report.fluxVersion).toBe(PIN);
  expect(report.drift).toBeUndefined();
  // Flux at the pinned version, from the CLI's export.
  expect(
    s.get('Deployment', 'kustomize-controller', 'flux-system')?.metadata.labels?.[
      'app.kubernetes.io/version'
    ],
  ).toBe(PIN);
  expect(s.all('CustomResourceDefinition').map((c) => c.metadata.name)).toContain(
    'helmreleases.helm.toolkit.fluxcd.io',
  );
  // Applied as printed: nothing the client's typed models do not know is dropped.
  const crd = s.get('CustomResourceDefinition', 'kustomizations.kustomize.toolkit.fluxcd.io') as {
    spec?: { versions?: { schema?: { openAPIV3Schema?: Record<string, unknown> } }[] };
  };
  expect(crd.spec?.versions?.[1]?.schema?.openAPIV3Schema).toEqual({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  });
  // The region's sync objects, nothing else from the folder (Flux applies the rest).
  expect(s.get('GitRepository', 'flux-system', 'flux-system')?.spec?.url).toContain(
    `github.com/${config.platform.github.repository}`,
  );
  expect(s.get('Kustomization', 'flux-system', 'flux-system')?.spec?.path).toBe(
    './gitops/clusters/us-west-2',
  );
  const secret = s.get('Secret', 'flux-system', 'flux-system') as
    { data?: Record<string, string> } | undefined;
  expect(Buffer.from(secret?.data?.password ?? '', 'base64').toString()).toBe(GIT_TOKEN);
  expect(Buffer.from(secret?.data?.username ?? '', 'base64').toString()).toBe('git');
  const vars = s.get('ConfigMap', 'cluster-vars', 'flux-system') as
    { data?: Record<string, string> } | undefined;
  expect(vars?.data).toEqual(clusterVars);
  expect(Object.keys(vars?.data ?? {})).toEqual(Object.keys(clusterVars).sort());
  // Applied with server-side apply as coder-gitops, authenticated with an EKS token.
  for (const w of s.writes().filter((r) => r.contentType.startsWith('application/apply-patch+yaml'))) {
    expect(w.query).toMatchObject({ fieldManager: 'coder-gitops', force: 'true' });
  }
  expect(s.requests.every((r) => r.authorization.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
  expect(report.applied).toEqual(
    expect.arrayContaining([
      { kind: 'Namespace', name: 'flux-system', namespace: '', result: 'created' },
      { kind: 'Secret', name: 'flux-system', namespace: 'flux-system', result: 'created' },
      { kind: 'ConfigMap', name: 'cluster-vars', namespace: 'flux-system', result: 'created' },
      { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system', result: 'created' },
      { kind: 'Kustomization', name: 'flux-system', namespace: 'flux-system', result: 'created' },
    ]),
  );
  // A reconcile was requested and the wait saw the HelmRelease go from installing to Ready.
  expect(
    s.get('Kustomization', 'flux-system', 'flux-system')?.metadata.annotations?.[
      'reconcile.fluxcd.io/requestedAt'
    ],
  ).toBeTruthy();
  const text = logger.text();
  expect(text).toMatch(
    /HelmRelease coder\/coder: waiting: Ready=Unknown \(Progressing\): Running 'install' action/,
  );
  expect(text).toMatch(/HelmRelease coder\/coder: ready: Ready=True/);
  expect(text).toMatch(/Kustomization flux-system\/apps: ready/);
  expect(text).not.toContain(GIT_TOKEN);
  expect(JSON.stringify(report)).not.toContain(GIT_TOKEN);

  // Second run: same commit, same AWS state.
  const again = await ensureCluster(options(s, new MemoryLogger()));
  expect(again.status).toBe('ready');
  expect(again.fluxInstalled).toBe(false);
  expect(again.fluxVersion).toBe(PIN);
  expect(again.drift).toBeUndefined();
  expect(again.applied.length).toBeGreaterThan(0);
  expect(again.applied.filter((a) => a.result !== 'unchanged')).toEqual([]);
});

test('a HelmRelease stuck Ready=False fails the step naming it and its message', async () => {
  const s = await standIn({
    helmReleases: [
      { namespace: 'flux-system', name: 'karpenter', readyAfterPolls: 1 },
      {
        namespace: 'coder',
        name: 'coder',
        readyAfterPolls: 1,
        stuck: 'install retries exhausted: context deadline exceeded',
      },
    ],
  });
  const logger = new MemoryLogger();
  const report = await ensureCluster(options(s, logger, { timeoutMs: 5 * 60_000 }));
  expect(report.status).toBe('failed');
  expect(report.notReady).toContainEqual({
    kind: 'HelmRelease',
    name: 'coder',
    namespace: 'coder',
    message: 'Ready=False (InstallFailed): install retries exhausted: context deadline exceeded',
  });
  expect(report.notReady.map((n) => `${n.kind} ${n.name}`)).not.toContain('HelmRelease karpenter');
  expect(report.reason).toContain(
    'HelmRelease coder/coder: Ready=False (InstallFailed): install retries exhausted',
  );
  expect(logger.lines.some((l) => l.level === 'error' && l.message.includes('HelmRelease coder/coder'))).toBe(
    true,
  );
});

test('403 from the cluster says which EKS access entry is missing', async () => {
  const s = await standIn({ forbidden: true });
  const report = await ensureCluster(options(s, new MemoryLogger()));
  expect(report.status).toBe('failed');
  expect(report.reason).toContain('the deploy role has no access to cluster coderdemo-us-west-2');
  expect(report.reason).toContain(
    `the EKS access entry for ${DEPLOY_ROLE} (declared in stacks/eks.yaml, DeployRoleArn)`,
  );
  expect(report.applied).toEqual([]);
});

test('with a kubeconfig and Flux already running at another version: drift is reported, Flux is not reinstalled', async () => {
  const s = await standIn({
    fluxVersion: 'v2.6.4',
    helmReleases: [{ namespace: 'coder', name: 'coder', readyAfterPolls: 2 }],
  });
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: kind\n  cluster:\n    server: ${s.url}\n    certificate-authority-data: ${s.caData}`,
      'users:',
      '- name: admin\n  user:\n    token: local-admin-token',
      'contexts:',
      '- name: kind\n  context:\n    cluster: kind\n    user: admin',
      'current-context: kind',
      '',
    ].join('\n'),
  );
  try {
    const logger = new MemoryLogger();
    const report = await ensureCluster(
      options(s, logger, {
        access: { mode: 'kubeconfig', kubeconfigPath: kubeconfig, aws },
      }),
    );
    expect(report.status).toBe('ready');
    expect(report.fluxInstalled).toBe(false);
    expect(report.fluxVersion).toBe('v2.6.4');
    expect(report.drift).toContain(`Flux v2.6.4 is installed; platform.yaml pins ${PIN}`);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('v2.6.4'))).toBe(true);
    expect(report.applied.map((a) => a.kind).sort()).toEqual([
      'ConfigMap',
      'GitRepository',
      'Kustomization',
      'Secret',
    ]);
    expect(s.requests.every((r) => r.authorization === 'Bearer local-admin-token')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreachable API endpoint fails with a clear message', async () => {
  const s = await standIn({});
  await s.stop();
  const report = await ensureCluster(options(s, new MemoryLogger()));
  expect(report.status).toBe('failed');
  expect(report.reason).toMatch(
    /cannot reach the Kubernetes API of cluster coderdemo-us-west-2 .*ECONNREFUSED/,
  );
});

test('a cluster folder without the sync objects is a configuration error, before the cluster is touched', async () => {
  const s = await standIn({});
  const dir = mkdtempSync(join(tmpdir(), 'gitops-'));
  try {
    mkdirSync(join(dir, 'clusters', REGION), { recursive: true });
    cpSync(join(GITOPS, 'clusters', REGION, 'apps.yaml'), join(dir, 'clusters', REGION, 'apps.yaml'));
    const report = await ensureCluster(options(s, new MemoryLogger(), { gitopsDir: dir }));
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/no GitRepository or Kustomization named flux-system/);
    expect(report.reason).toContain(`clusters/${REGION}`);
    expect(s.requests).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("apply-region's cluster step takes the endpoint and CA from eks:DescribeCluster, never from the eks stack's outputs", async () => {
  await aws.secretsManager(config.platform.hubRegion).send(
    new CreateSecretCommand({
      Name: 'coderdemo/flux-system/git-credentials',
      SecretString: JSON.stringify({ username: 'git', password: 'default-named-credential' }),
    }),
  );
  const s = await standIn({ helmReleases: [{ namespace: 'coder', name: 'coder', readyAfterPolls: 1 }] });
  // What a reviewed change to the eks stack's outputs could point at: another API server, its own CA.
  const elsewhere = await standIn({});
  describeAs(s);
  const step = clusterStepFor('eks', { fluxCli: FLUX_CLI });
  // Real clock here: the watch wakes the wait as soon as Flux reports Ready.
  const report = await step!({
    region: REGION,
    config,
    gitopsDir: GITOPS,
    mode: 'eks',
    clusterName: 'coderdemo-us-west-2',
    clusterVars,
    stackOutputs: {
      network: { VpcId: 'vpc-1' },
      eks: {
        ClusterEndpoint: elsewhere.url,
        ClusterCertificateAuthority: elsewhere.caData,
        ClusterName: 'someone-elses-cluster',
      },
    },
    aws,
    logger: new MemoryLogger(),
    timeoutMs: 50_000,
  });
  expect(report.reason).toBeUndefined();
  expect(report.status).toBe('ready');
  // The cluster <project>-<region> was described, and only its API server saw a token.
  expect(eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input)).toEqual([
    { name: 'coderdemo-us-west-2' },
  ]);
  expect(elsewhere.requests).toEqual([]);
  expect(s.requests.length).toBeGreaterThan(0);
  expect(s.get('ConfigMap', 'cluster-vars', 'flux-system')).toBeDefined();
  // The credential apply-region names by default (gitops/README.md), read from the hub region.
  expect(s.get('Secret', 'flux-system', 'flux-system')).toBeDefined();
});

test('a cluster EKS does not describe fails before any token is sent', async () => {
  const s = await standIn({});
  const opts = options(s, new MemoryLogger());
  eks.reset();
  eks.on(DescribeClusterCommand).rejects(
    Object.assign(new Error('No cluster found for name: coderdemo-us-west-2.'), {
      name: 'ResourceNotFoundException',
    }),
  );
  const report = await ensureCluster(opts);
  expect(report.status).toBe('failed');
  expect(report.reason).toContain(
    'could not describe EKS cluster coderdemo-us-west-2 in us-west-2: ResourceNotFoundException',
  );
  expect(s.requests).toEqual([]);
});

test('Flux installed by apply-region runs kustomize-controller with --no-remote-bases=true and StrictPostBuildSubstitutions=true', async () => {
  const s = await standIn({ helmReleases: [{ namespace: 'coder', name: 'coder', readyAfterPolls: 1 }] });
  const report = await ensureCluster(options(s, new MemoryLogger()));
  expect(report.status).toBe('ready');
  expect(report.fluxInstalled).toBe(true);
  expect(report.missingFluxSettings).toBeUndefined();
  const deploy = s.get('Deployment', 'kustomize-controller', 'flux-system') as unknown as {
    spec: { template: { spec: { containers: { name: string; args: string[] }[] } } };
  };
  const args = deploy.spec.template.spec.containers.find((c) => c.name === 'manager')?.args;
  // The export's own arguments are kept; the two settings are added.
  expect(args).toEqual([
    '--events-addr=http://notification-controller.flux-system.svc.cluster.local./',
    '--watch-all-namespaces=true',
    '--no-remote-bases=true',
    '--feature-gates=StrictPostBuildSubstitutions=true',
  ]);
  // Only kustomize-controller is changed.
  const source = s.get('Deployment', 'source-controller', 'flux-system') as unknown as typeof deploy;
  expect(source.spec.template.spec.containers[0]?.args).not.toContain('--no-remote-bases=true');
});

test.each([
  [
    'neither setting',
    [] as string[],
    [/without --no-remote-bases=true/, /without --feature-gates=StrictPostBuildSubstitutions=true/],
  ],
  [
    'remote bases allowed',
    ['--no-remote-bases=false', '--feature-gates=StrictPostBuildSubstitutions=true'],
    [/without --no-remote-bases=true/],
  ],
  [
    'the gate off among others',
    ['--no-remote-bases', '--feature-gates=GroupChangeLog=true,StrictPostBuildSubstitutions=false'],
    [/StrictPostBuildSubstitutions=true/],
  ],
  [
    'both set (gate as a separate argument)',
    ['--no-remote-bases=true', '--feature-gates', 'GroupChangeLog=true,StrictPostBuildSubstitutions=true'],
    [],
  ],
])(
  'Flux already running with %s: each missing setting is reported, Flux is left as it is',
  async (_name, args, expected) => {
    const s = await standIn({
      fluxVersion: PIN,
      kustomizeControllerArgs: args,
      helmReleases: [{ namespace: 'coder', name: 'coder', readyAfterPolls: 1 }],
    });
    const logger = new MemoryLogger();
    const report = await ensureCluster(options(s, logger));
    expect(report.status).toBe('ready');
    expect(report.fluxInstalled).toBe(false);
    const missing = report.missingFluxSettings ?? [];
    expect(missing).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(missing[i]).toMatch(re));
    for (const m of missing)
      expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes(m))).toBe(true);
    // Not reinstalled, not patched.
    expect(s.writes().some((w) => w.path.includes('/deployments/'))).toBe(false);
  },
);

test('a wait longer than an EKS token lives goes on with fresh tokens', async () => {
  // Ready after 120 polls of 10 s: 20 minutes, longer than a token's 14.
  const s = await standIn({ helmReleases: [{ namespace: 'coder', name: 'coder', readyAfterPolls: 120 }] });
  const report = await ensureCluster(options(s, new MemoryLogger(), { timeoutMs: 30 * 60_000 }));
  expect(report.status).toBe('ready');
  const tokens = new Set(s.requests.map((r) => r.authorization));
  expect(tokens.size).toBeGreaterThanOrEqual(2);
  expect([...tokens].every((t) => t.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
});
