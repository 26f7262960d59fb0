import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { createLocalCa, issueLeafCert } from '../../src/sandbox/local-ca.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import {
  registerStandInLoadBalancer,
  type StandInLoadBalancer,
} from '../../src/sandbox/stand-in-load-balancers.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.js';
import { githubSubjects } from '../helpers/github-subjects.js';

/*
 * apply-region's dist, run as a runner runs it on a push to main, against moto: the real gitops/
 * (with the id moto gave the existing hosted zone) in a git workspace whose last commit is the push,
 * the GitHub API stand-in naming the pull request merged as that commit, the OIDC stand-in for the
 * deploy role, stand-in NLBs registered in moto's ELBv2 and a local HTTPS Coder behind a local CA,
 * so each region is verified before it enters latency routing. `cluster: skip` (no Kubernetes here).
 */

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-deploy`;
const DOMAIN = 'coderdemo.io';
const REGIONS = ['us-east-2', 'us-west-2'];
/** The regions in the apex latency set: the primary; us-west-2 is a workspace proxy (own names only). */
const APEX = ['us-east-2'];
const RUN_TIMEOUT_MS = 300_000;

let work: string;
let workspace: string;
let moto: MotoServer;
let oidc: OidcTokenServer;
let gh: GitHubApiStandIn;
let coder: CoderStandIn;
let caFile: string;
let zoneId: string;
let aws: AwsClientFactory;
let before: string;
let after: string;
const nlbs: Record<string, StandInLoadBalancer> = {};

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: workspace,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'e2e',
      GIT_AUTHOR_EMAIL: 'e2e@example.com',
      GIT_COMMITTER_NAME: 'e2e',
      GIT_COMMITTER_EMAIL: 'e2e@example.com',
    },
  }).trim();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'apply-e2e-'));
  workspace = join(work, 'workspace');
  const config = await loadGitops(join(REPO_ROOT, 'gitops'));
  // IAM enforced: the real deploy role of github-oidc.yaml, its trust for this subject's repository.
  moto = await startMoto(config.platform.accountId, {
    workflowRoles: { repository: 'coder/coderdemo-gitops' },
  });
  aws = new AwsClientFactory();
  // coderdemo.io is live: the zone exists before any apply. Route 53 zone ids start with Z (the
  // loader insists); moto draws any letter first, so draw until it is a Z and drop the others.
  for (let i = 0; ; i++) {
    const zone = await aws
      .route53()
      .send(new CreateHostedZoneCommand({ Name: DOMAIN, CallerReference: `apply-e2e-${i}` }));
    const id = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    if (id.startsWith('Z')) {
      zoneId = id;
      break;
    }
    await aws.route53().send(new DeleteHostedZoneCommand({ Id: id }));
  }
  // The load balancer controller's NLBs, as they exist once the clusters run.
  for (const r of REGIONS) nlbs[r] = await registerStandInLoadBalancer(aws, config, r);

  // The repository as the runner checks it out: gitops/ on main (with the id moto gave the zone),
  // then the merge of pull request #12, which touches the files of the two enabled regions.
  execFileSync('mkdir', ['-p', workspace]);
  git('init', '-q', '-b', 'main');
  await cp(join(REPO_ROOT, 'gitops'), join(workspace, 'gitops'), { recursive: true });
  const platformFile = join(workspace, 'gitops', 'platform.yaml');
  const platform = await readFile(platformFile, 'utf8');
  expect(platform).toContain(`hostedZoneId: ${config.platform.hostedZoneId}\n`);
  await writeFile(
    platformFile,
    platform.replace(`hostedZoneId: ${config.platform.hostedZoneId}\n`, `hostedZoneId: ${zoneId}\n`),
  );
  git('add', 'gitops');
  git('commit', '-q', '-m', 'gitops/ as adopted');
  before = git('rev-parse', 'HEAD');
  for (const r of REGIONS) {
    const file = join(workspace, 'gitops', 'regions', `${r}.yaml`);
    await writeFile(file, `${await readFile(file, 'utf8')}# Rolled out from pull request #12.\n`);
  }
  git('add', 'gitops');
  git('commit', '-q', '-m', 'Merge pull request #12 from coder/roll-out');
  after = git('rev-parse', 'HEAD');

  const ca = await createLocalCa(join(work, 'ca'));
  caFile = ca.certFile;
  const leaf = await issueLeafCert(ca, {
    file: 'coder',
    days: 90,
    names: REGIONS.flatMap((r) => [`${r}.${DOMAIN}`, `*.${r}.${DOMAIN}`]),
  });
  coder = await startCoderStandIn({ certFile: leaf.certFile, keyFile: leaf.keyFile });

  gh = await startGitHubApiStandIn();
  gh.associatedPulls[after] = [
    {
      number: 12,
      state: 'closed',
      merged_at: new Date().toISOString(),
      head: { sha: 'f'.repeat(40) },
      base: { ref: 'main' },
    },
  ];
  oidc = await startOidcTokenServer({ subject: githubSubjects('coder/coderdemo-gitops').deployApply });
}, 90_000);

afterAll(async () => {
  await coder?.close();
  await gh?.close();
  await oidc?.close();
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function pushRun(attempt: string, over: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    action: 'apply-region',
    eventName: 'push',
    event: { ref: 'refs/heads/main', before, after, repository: { full_name: 'coder/coderdemo-gitops' } },
    cwd: workspace,
    inputs: {
      // Defaults as deploy.yml leaves them: region changed, dns promote.
      region: 'changed',
      'role-to-assume': ROLE,
      'allowed-account-ids': ACCOUNT,
      'gitops-dir': 'gitops',
      'dry-run': 'false',
      dns: 'promote',
      cluster: 'skip',
      'allow-destructive': 'false',
      'timeout-minutes': '10',
      'github-token': 'ghs_standintoken0000000000000000000000',
      'ca-file': caFile,
      resolve: REGIONS.flatMap((r) => [
        `${r}.${DOMAIN}:443:127.0.0.1:${coder.port}`,
        `*.${r}.${DOMAIN}:443:127.0.0.1:${coder.port}`,
      ]).join('\n'),
      ...over,
    },
    env: {
      GITHUB_SHA: after,
      GITHUB_RUN_ATTEMPT: attempt,
      GITHUB_API_URL: gh.url,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
    },
    timeoutMs: RUN_TIMEOUT_MS,
  });
}

async function records(): Promise<ResourceRecordSet[]> {
  const out = await aws.route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return out.ResourceRecordSets ?? [];
}

const bare = (n: string | undefined) =>
  (n ?? '')
    .replace(/\.$/, '')
    .replace(/^\\052/, '*')
    .toLowerCase();

interface AppliedOutput {
  region: string;
  stack: string;
  changeSet?: string;
  result: string;
  durationMs: number;
}

test(
  'a push to main rolls out the changed regions, verifies each, then puts it into latency routing; a re-run has nothing to do',
  async () => {
    const t0 = Date.now();
    const run = await pushRun('1');
    const firstMs = Date.now() - t0;
    if (process.env.E2E_PRINT) console.log(run.stdout, run.summary, `first run ${firstMs} ms`);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('applied');
    expect(run.stdout).toContain(`assumed ${ROLE} through GitHub OIDC (account ${ACCOUNT})`);
    // The regions come from the push's before..after, and the merged pull request is found for the sha.
    expect(run.stdout).toMatch(/regions: us-east-2, us-west-2 \(changed between /);
    expect(run.stdout).toContain(`reviewed plan: pull request #12 at ${'f'.repeat(12)}`);
    expect(gh.requests.some((q) => q.path === `/repos/coder/coderdemo-gitops/commits/${after}/pulls`)).toBe(
      true,
    );

    // `applied`: every stack of the hub's wave, then the spoke's, each created by an executed change set.
    const applied = JSON.parse(run.outputs.applied!) as AppliedOutput[];
    expect(applied.map((a) => `${a.region} ${a.stack}`)).toEqual([
      'us-east-2 coderdemo-us-east-2-network',
      'us-east-2 coderdemo-us-east-2-certificates',
      'us-east-2 coderdemo-us-east-2-eks',
      'us-east-2 coderdemo-us-east-2-aurora',
      'us-east-2 coderdemo-us-east-2-litellm-db',
      'us-east-2 coderdemo-us-east-2-dns',
      'us-west-2 coderdemo-us-west-2-network',
      'us-west-2 coderdemo-us-west-2-hub-routes',
      'us-west-2 coderdemo-us-west-2-certificates',
      'us-west-2 coderdemo-us-west-2-eks',
      'us-west-2 coderdemo-us-west-2-dns',
    ]);
    for (const a of applied) {
      expect(a.result).toBe('created');
      // Apply's own change set: the commit, a nonce nobody could know beforehand, the stack.
      expect(a.changeSet).toMatch(new RegExp(`^ca-${after.slice(0, 12)}-[0-9a-f]{16}-${a.stack}$`));
      expect(a.durationMs).toBeGreaterThanOrEqual(0);
    }
    for (const r of REGIONS) {
      const live = await aws.cloudFormation(r).send(new ListStacksCommand({}));
      const names = (live.StackSummaries ?? [])
        .filter((s) => s.StackStatus !== 'DELETE_COMPLETE')
        .map((s) => s.StackName);
      expect(names).toEqual(expect.arrayContaining([`coderdemo-${r}-network`, `coderdemo-${r}-dns`]));
    }

    // `stack-outputs`: per region, the stack outputs and the cluster variables resolved from them.
    const outputs = JSON.parse(run.outputs['stack-outputs']!) as Record<
      string,
      { stacks: Record<string, Record<string, string>>; clusterVars: Record<string, string> }
    >;
    expect(Object.keys(outputs).sort()).toEqual([...REGIONS].sort());
    for (const r of REGIONS) {
      expect(outputs[r]!.clusterVars.vpc_id).toBe(outputs[r]!.stacks.network!.VpcId);
      expect(outputs[r]!.clusterVars.vpc_id).toMatch(/^vpc-/);
      expect(outputs[r]!.clusterVars.aws_region).toBe(r);
    }
    // Every region shares the hub's database.
    expect(outputs['us-west-2']!.clusterVars.db_host).toBe(
      outputs['us-east-2']!.stacks.aurora!.ClusterEndpoint,
    );

    // The report: cluster step not run (said so), each region verified before DNS, then promoted.
    const report = JSON.parse(await readFile(run.outputs['report-file']!, 'utf8')) as {
      regions: {
        region: string;
        cluster: { status: string };
        verify?: { status: string };
        dns?: { status: string; inLatencyRouting?: boolean };
      }[];
    };
    for (const r of report.regions) {
      expect(r.cluster.status).toBe('skipped');
      expect(r.dns).toMatchObject({ status: 'changed', inLatencyRouting: APEX.includes(r.region) });
      if (APEX.includes(r.region)) expect(r.verify?.status).toBe('pass');
    }
    // Verification reached the region's own names before DNS pointed the apex at it.
    for (const r of APEX) {
      const verified = run.stdout.indexOf(`verifying ${r}.${DOMAIN} at ${nlbs[r]!.dnsName}`);
      expect(verified).toBeGreaterThan(-1);
      expect(run.stdout.indexOf(`UPSERT ${DOMAIN} A (latency ${r})`)).toBeGreaterThan(verified);
    }
    expect(coder.requests.get('/api/v2/buildinfo')).toBeGreaterThanOrEqual(2);
    // The proxy never joins the apex (coder-topology.ts servesApex).
    expect(run.stdout).not.toContain(`UPSERT ${DOMAIN} A (latency us-west-2)`);

    // Route 53 after: each region's own names alias its NLB; the apex and *.<domain> route by latency.
    const rrs = await records();
    for (const r of REGIONS) {
      for (const name of [`${r}.${DOMAIN}`, `*.${r}.${DOMAIN}`]) {
        const own = rrs.find((x) => bare(x.Name) === name && x.Type === 'A');
        expect(bare(own?.AliasTarget?.DNSName)).toBe(bare(nlbs[r]!.dnsName));
      }
    }
    for (const name of [DOMAIN, `*.${DOMAIN}`]) {
      const latency = rrs.filter((x) => bare(x.Name) === name && x.Type === 'A' && x.SetIdentifier);
      expect(latency.map((x) => [x.SetIdentifier, x.Region]).sort()).toEqual(APEX.map((r) => [r, r]));
      for (const x of latency) {
        expect(bare(x.AliasTarget?.DNSName)).toBe(bare(nlbs[x.Region!]!.dnsName));
        expect(x.AliasTarget?.EvaluateTargetHealth).toBe(true);
        expect(x.HealthCheckId).toBeTruthy();
      }
    }
    expect(run.summary).toContain('apply-region');

    // The same push run again: nothing to do, nothing created, DNS as it was.
    const again = await pushRun('2');
    expect(again.errors).toEqual([]);
    expect(again.code).toBe(0);
    expect(again.outputs.status).toBe('no-changes');
    const second = JSON.parse(again.outputs.applied!) as AppliedOutput[];
    expect(second.map((a) => `${a.region} ${a.stack}`)).toEqual(applied.map((a) => `${a.region} ${a.stack}`));
    expect(second.every((a) => a.result === 'no-changes')).toBe(true);
    expect(await records()).toEqual(rrs);
  },
  2 * RUN_TIMEOUT_MS + 10_000,
);

test(
  'a region whose endpoint fails verification stays out of latency routing and the step fails saying why',
  async () => {
    const latencyRegions = async () =>
      (await records())
        .filter((x) => bare(x.Name) === DOMAIN && x.SetIdentifier)
        .map((x) => x.SetIdentifier)
        .sort();
    const drained = await pushRun('3', { region: 'us-east-2', dns: 'remove' });
    expect(drained.errors).toEqual([]);
    expect(drained.outputs.status).toBe('applied');
    // The primary drained: no region serves the apex (gitops/README.md, "Draining the primary").
    expect(await latencyRegions()).toEqual([]);

    // us-east-2's Coder answers 503 on every request (a broken rollout behind its NLB).
    const leaf = { certFile: join(work, 'ca', 'coder.pem'), keyFile: join(work, 'ca', 'coder-key.pem') };
    const broken = await startCoderStandIn({ ...leaf, forceStatus: 503 });
    try {
      const run = await pushRun('4', {
        region: 'us-east-2',
        resolve: [
          `us-east-2.${DOMAIN}:443:127.0.0.1:${broken.port}`,
          `*.us-east-2.${DOMAIN}:443:127.0.0.1:${broken.port}`,
        ].join('\n'),
      });
      if (process.env.E2E_PRINT) console.log(run.errors.join('\n'));
      expect(run.code).toBe(1);
      expect(run.outputs.status).toBe('failed');
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(
        /not promoted: region-only verification fail: .*us-east-2\.coderdemo\.io.*503/,
      );
      expect(broken.requests.get('/api/v2/buildinfo')).toBeGreaterThanOrEqual(1);
      expect(await latencyRegions()).toEqual([]);
    } finally {
      await broken.close();
    }

    // Fixed: the next run verifies it and puts it back.
    const back = await pushRun('5', { region: 'us-east-2' });
    expect(back.errors).toEqual([]);
    expect(back.outputs.status).toBe('applied');
    expect(await latencyRegions()).toEqual(APEX);
  },
  3 * RUN_TIMEOUT_MS + 10_000,
);
