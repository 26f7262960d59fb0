import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  type Change,
} from '@aws-sdk/client-route-53';
import { runApply } from '../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.js';
import { githubSubjects } from '../helpers/github-subjects.js';

// The account of gitops/platform.yaml: moto plays that account, so the role ARN and allowed ids match.
const ACCOUNT = /accountId:\s*"?(\d{12})"?/.exec(
  readFileSync(path.join(REPO_ROOT, 'gitops', 'platform.yaml'), 'utf8'),
)![1]!;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`;
const REPOSITORY = 'coder/coderdemo-gitops';
const MARKER = '<!-- coder-gitops:plan -->';
const TOKEN = 'ghs_planRegionE2eToken0123456789';

let moto: MotoServer;
let oidc: OidcTokenServer;
let github: GitHubApiStandIn;
let tmp: string;
/** The repository as merged on main, deployed to moto: every pull request of this file branches from it. */
let mainRepo: string;
let baseSha: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/**
 * moto draws hosted zone ids from [A-Z0-9]; real ones start with Z, which the configuration validator
 * requires. Create (and delete) zones until moto draws such an id.
 */
async function createZoneLikeAws(aws: AwsClientFactory, domain: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const created = await aws
      .route53()
      .send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `plan-region-e2e-${i}` }));
    const id = created.HostedZone!.Id!.replace('/hostedzone/', '');
    if (id.startsWith('Z')) return id;
    await aws.route53().send(new DeleteHostedZoneCommand({ Id: id }));
  }
  throw new Error('moto gave no hosted zone id starting with Z in 500 tries');
}

beforeAll(async () => {
  if (!existsSync(path.join(REPO_ROOT, 'actions', 'plan-region', 'dist', 'index.js')))
    throw new Error('actions/plan-region/dist/index.js is missing: run node scripts/package.mjs plan-region');
  tmp = mkdtempSync(path.join(tmpdir(), 'plan-region-e2e-'));
  [moto, oidc, github] = await Promise.all([
    startMoto(ACCOUNT, { workflowRoles: { repository: REPOSITORY } }),
    startOidcTokenServer({ subject: githubSubjects(REPOSITORY).pullRequest, repository: REPOSITORY }),
    startGitHubApiStandIn(),
  ]);

  // coderdemo.io is live: its zone exists before anything is applied, and this repository's platform.yaml
  // names the emulator's zone (as the real one names the real zone).
  const admin = new AwsClientFactory();
  const zoneId = await createZoneLikeAws(admin, 'coderdemo.io');
  mainRepo = path.join(tmp, 'main');
  cpSync(path.join(REPO_ROOT, 'gitops'), path.join(mainRepo, 'gitops'), { recursive: true });
  const platform = path.join(mainRepo, 'gitops', 'platform.yaml');
  writeFileSync(
    platform,
    readFileSync(platform, 'utf8').replace(/^hostedZoneId: .*$/m, `hostedZoneId: ${zoneId}`),
  );
  git(mainRepo, 'init', '-q', '-b', 'main');
  git(mainRepo, 'add', '.');
  git(mainRepo, 'commit', '-qm', 'main');
  baseSha = git(mainRepo, 'rev-parse', 'HEAD');

  // What main describes runs in the account (an administrator applied github-oidc; the deploy applied
  // the regions, eu-west-2 being switched off gets no stacks), so a pull request's plan shows its own
  // changes, not a first rollout.
  const config = await loadGitops(path.join(mainRepo, 'gitops'));
  const apply = (account: boolean) =>
    runApply({
      config,
      gitopsDir: config.dir,
      regions: account ? [] : config.regions.map((r) => r.name),
      account,
      headSha: baseSha,
      dryRun: false,
      dns: 'hold',
      cluster: 'skip',
      allowDestructive: false,
      timeoutMinutes: 10,
      verify: {},
      aws: admin,
      logger: new MemoryLogger(),
      sleep: () => Promise.resolve(),
      pollIntervalMs: 0,
    });
  for (const account of [true, false]) {
    const applied = await apply(account);
    if (applied.errors.length) throw new Error(`could not deploy main: ${applied.errors.join('; ')}`);
  }
  // The enabled regions serve traffic: the alias records apply-region writes once a region has passed
  // verification (no cluster runs here, so no NLB: these stand for them).
  const domain = config.platform.domain;
  const changes: Change[] = config.regions
    .filter((r) => r.enabled)
    .flatMap((r) => {
      const alias = {
        HostedZoneId: 'Z3AADJGX6KTTL2',
        DNSName: `coder-${r.name}.elb.${r.name}.amazonaws.com`,
        EvaluateTargetHealth: true,
      };
      return [
        ...[domain, `*.${domain}`].map((Name) => ({ Name, SetIdentifier: r.name, Region: r.name })),
        ...[`${r.name}.${domain}`, `*.${r.name}.${domain}`].map((Name) => ({ Name })),
      ].map((rr) => ({
        Action: 'UPSERT' as const,
        ResourceRecordSet: { ...rr, Type: 'A' as const, AliasTarget: alias },
      }));
    });
  await admin
    .route53()
    .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));
}, 120_000);
afterAll(async () => {
  await Promise.all([github?.close(), oidc?.close(), moto?.stop()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A pull request's repository: a clone of main, then the scenario's commits. */
class PullRequestRepo {
  readonly dir: string;
  readonly base = baseSha;
  constructor(name: string) {
    this.dir = path.join(tmp, name);
    execFileSync('git', ['clone', '-q', mainRepo, this.dir]);
  }

  git(...args: string[]): string {
    return git(this.dir, ...args);
  }

  /** Replace `from` by `to` in a gitops/ file (which must contain `from`). */
  edit(rel: string, from: string, to: string): this {
    const file = path.join(this.dir, 'gitops', rel);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(from)) throw new Error(`gitops/${rel} does not contain ${from}`);
    writeFileSync(file, text.replace(from, to));
    return this;
  }

  /** Commit the edits; returns the new head SHA. */
  commit(message: string): string {
    this.git('commit', '-qam', message);
    return this.git('rev-parse', 'HEAD');
  }
}

interface PlanRun {
  repo: PullRequestRepo;
  head: string;
  number: number;
  inputs?: Record<string, string>;
  fork?: boolean;
}

function planRegion({ repo, head, number, inputs, fork }: PlanRun): Promise<ActionRun> {
  const headRepo = fork ? 'outsider/coderdemo-gitops' : REPOSITORY;
  return runAction({
    action: 'plan-region',
    cwd: repo.dir,
    eventName: 'pull_request',
    event: {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        head: { sha: head, ref: 'change', repo: { full_name: headRepo, fork: Boolean(fork) } },
        base: { sha: repo.base, ref: 'main', repo: { full_name: REPOSITORY, fork: false } },
      },
    },
    inputs: {
      'role-to-assume': ROLE,
      'allowed-account-ids': ACCOUNT,
      'github-token': TOKEN,
      'gitops-dir': 'gitops',
      comment: 'true',
      region: 'changed',
      ...inputs,
    },
    env: {
      GITHUB_SHA: head,
      GITHUB_REF: `refs/pull/${number}/merge`,
      GITHUB_API_URL: github.url,
      AWS_ENDPOINT_URL: moto.endpoint,
      // Credentials come from OIDC only (a fork gets neither the token nor keys).
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: fork ? undefined : oidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: fork ? undefined : oidc.requestToken,
    },
    timeoutMs: 150_000,
  });
}

function commentsOn(number: number) {
  return github.comments.filter((c) => c.issue === number);
}

describe('plan-region dist on a pull_request event (moto, GitHub API stand-in)', () => {
  const PR = 11;
  let repo: PullRequestRepo;
  let first: ActionRun;
  let firstHead: string;

  it('posts one sticky comment, writes the job summary and sets every output', async () => {
    repo = new PullRequestRepo('sticky');
    firstHead = repo
      .edit('clusters/us-east-2/infrastructure.yaml', 'timeout: 10m', 'timeout: 15m')
      .commit('infra-controllers: longer timeout in us-east-2');
    const oidcBefore = oidc.requests.length;
    first = await planRegion({ repo, head: firstHead, number: PR, inputs: { region: 'us-east-2' } });
    expect({ code: first.code, errors: first.errors }).toEqual({ code: 0, errors: [] });

    // Online: the role was assumed through the OIDC stand-in.
    expect(oidc.requests.slice(oidcBefore).some((r) => r.audience === 'sts.amazonaws.com')).toBe(true);

    const comments = commentsOn(PR);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).toContain('**Online plan**');
    expect(body).toContain('<b>us-east-2</b>');
    expect(body).toContain(firstHead.slice(0, 12));
    // The Kustomization change of this pull request is in it.
    expect(body).toMatch(/infra-controllers[\s\S]*timeout/);
    expect(body.length).toBeLessThanOrEqual(65_536);
    // main is deployed as it is: no stack changes, and no phantom parameter changes (template defaults).
    expect(body).toContain('1 region × 0 stacks changed');
    expect(body).toContain('0 DNS changes');
    expect(body).not.toContain('**Parameters**');

    expect(first.outputs['has-changes']).toBe('true');
    expect(JSON.parse(first.outputs.regions!)).toEqual(['us-east-2']);
    // A Kustomization's timeout is an ordinary change.
    expect(first.outputs.risk).toBe('low');
    const report = JSON.parse(readFileSync(first.outputs['report-file']!, 'utf8')) as {
      mode: string;
      headSha: string;
      risk: string;
      regions: { region: string }[];
      errors: unknown[];
    };
    expect(report).toMatchObject({
      mode: 'online',
      headSha: firstHead,
      risk: first.outputs.risk,
      errors: [],
    });
    expect(report.regions.map((r) => r.region)).toEqual(['us-east-2']);
    const markdown = readFileSync(first.outputs['markdown-file']!, 'utf8');
    expect(markdown).toContain(MARKER);

    expect(first.summary).toContain('Plan:');
    expect(first.summary).toContain('<b>us-east-2</b>');
    // The token never reaches the log, the summary or the comment.
    expect(first.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(TOKEN);
    expect(first.summary).not.toContain(TOKEN);
    expect(body).not.toContain(TOKEN);
    // The stand-in saw the token as the credential of its requests.
    expect(github.requests.some((r) => r.authorization?.includes(TOKEN))).toBe(true);
  });

  it('a second run on a new head edits the same comment in place', async () => {
    const before = commentsOn(PR)[0]!;
    const firstBody = before.body;
    const head = repo
      .edit('clusters/us-east-2/infrastructure.yaml', 'timeout: 5m', 'timeout: 7m')
      .commit('infra-configs: longer timeout too');
    const second = await planRegion({ repo, head, number: PR, inputs: { region: 'us-east-2' } });
    expect({ code: second.code, errors: second.errors }).toEqual({ code: 0, errors: [] });

    const comments = commentsOn(PR);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.id).toBe(before.id);
    expect(comments[0]!.body).not.toBe(firstBody);
    expect(comments[0]!.body).toContain(head.slice(0, 12));
    expect(comments[0]!.body).not.toContain(firstHead.slice(0, 12));
    expect(comments[0]!.body).toMatch(/infra-configs/);
    expect(
      github.requests.filter((r) => r.method === 'PATCH' && /\/issues\/comments\//.test(r.path)),
    ).toHaveLength(1);
  });
});

describe('risk rules a reviewer must see', () => {
  it('an Aurora cluster replacement is high risk and the comment names the rule', async () => {
    const PR = 21;
    const repo = new PullRequestRepo('aurora');
    const head = repo
      .edit('stacks/aurora.yaml', 'StorageEncrypted: true', 'StorageEncrypted: false')
      .commit('aurora');
    const run = await planRegion({ repo, head, number: PR });
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.outputs.risk).toBe('high');
    expect(JSON.parse(run.outputs.regions!)).toEqual(['us-east-2']);
    const body = commentsOn(PR)[0]?.body ?? '';
    expect(commentsOn(PR)).toHaveLength(1);
    expect(body).toContain('🔴 Plan: high risk');
    expect(body).toContain('### ⚠️ Dangers');
    expect(body).toMatch(/\*\*stateful-replacement\*\* \(us-east-2\) `coderdemo-us-east-2-aurora\/Cluster`/);
    // The template is shared by Coder's database and LiteLLM's (litellm-db): the reviewer sees both.
    expect(body).toMatch(
      /\*\*stateful-replacement\*\* \(us-east-2\) `coderdemo-us-east-2-litellm-db\/Cluster`/,
    );
    expect(body).toContain('StorageEncrypted');
    expect(body).toContain('2 replacements');
    expect(body).toMatch(
      /\| `aurora` \| update 🔴 \| ✏️ Modify \| `Cluster` \| `AWS::RDS::DBCluster` \| \*\*⚠️ Replace\*\* \|/,
    );
  });

  it('an IAM policy broadened to a wildcard in github-oidc is high risk and the comment names the rule', async () => {
    const PR = 22;
    const repo = new PullRequestRepo('iam');
    const head = repo
      .edit('stacks/github-oidc.yaml', 'Action: secretsmanager:GetSecretValue', 'Action: "*"')
      .commit('github-oidc: broaden');
    const run = await planRegion({ repo, head, number: PR });
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.outputs.risk).toBe('high');
    // Only the account stack is touched: no region is planned.
    expect(JSON.parse(run.outputs.regions!)).toEqual([]);
    expect(run.outputs['has-changes']).toBe('true');
    const body = commentsOn(PR)[0]?.body ?? '';
    expect(commentsOn(PR)).toHaveLength(1);
    expect(body).toContain('🔴 Plan: high risk');
    expect(body).toMatch(/\*\*iam-broadening\*\*[^\n]*github-oidc/);
    expect(body).toContain('Account stacks (github-oidc');
    // The IAM statement diff: the narrow action out, the wildcard in.
    expect(body).toMatch(/│ \+ │[^\n]*│ Allow\s+│ \*\s+│ AWS:\$\{DeployRole\}/);
    expect(body).toMatch(/│ - │[^\n]*│ Allow\s+│ secretsmanager:GetSecretValue\s+│ AWS:\$\{DeployRole\}/);
  });
});

describe('a Flux-only change', () => {
  it('shows the HelmRelease chart diff in every region that installs it', async () => {
    const PR = 31;
    const repo = new PullRequestRepo('flux');
    const head = repo
      .edit('infrastructure/controllers/metrics-server.yaml', 'version: "3.13.0"', 'version: "3.13.1"')
      .commit('metrics-server 3.13.1');
    const run = await planRegion({ repo, head, number: PR });
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    const regions = JSON.parse(run.outputs.regions!) as string[];
    expect(regions).toEqual(['us-east-2', 'us-west-2', 'eu-west-2']);
    const body = commentsOn(PR)[0]?.body ?? '';
    expect(commentsOn(PR)).toHaveLength(1);
    for (const region of regions) {
      const section = body.slice(body.indexOf(`<b>${region}</b>`));
      const end = section.indexOf('</details>');
      expect(section.slice(0, end)).toContain('chart `metrics-server` `3.13.0` → `3.13.1`');
    }
    // eu-west-2 is switched off: apply-region creates none of its stacks, so the plan lists none.
    expect(body).toContain('Not enabled: apply-region applies none of its stacks');
    // Flux only: no stack changes anywhere, and a patch bump of a chart is not a danger.
    expect(body).toContain('3 regions × 0 stacks changed');
    expect(body).toContain('0 DNS changes');
    expect(body).not.toContain('**Parameters**');
    expect(body).not.toContain('### ⚠️ Dangers');
  });
});

describe('a pull request from a fork', () => {
  it('gives the offline plan, labelled; the refused comment does not fail the step and the log says why', async () => {
    const PR = 41;
    const repo = new PullRequestRepo('fork');
    const head = repo
      .edit('infrastructure/controllers/metrics-server.yaml', 'version: "3.13.0"', 'version: "3.13.1"')
      .commit('metrics-server from a fork');
    const oidcBefore = oidc.requests.length;
    github.readOnly = true;
    let run: ActionRun;
    try {
      run = await planRegion({ repo, head, number: PR, fork: true, inputs: { region: 'us-east-2' } });
    } finally {
      github.readOnly = false;
    }
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(oidc.requests.length).toBe(oidcBefore);
    expect(commentsOn(PR)).toHaveLength(0);
    // GitHub refused the write (the stand-in answered 403) and the step says so.
    expect(
      github.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/issues/${PR}/comments`)),
    ).toBe(true);
    const said = run.stdout.split('\n').filter((l) => l.startsWith('::warning::') && /comment/.test(l));
    expect(said).toEqual([
      expect.stringMatching(/^::warning::plan comment not posted: .*read-only token.*job summary/),
    ]);

    expect(run.summary).toContain('**Offline plan** — pull request from a fork');
    expect(run.summary).toContain('chart `metrics-server` `3.13.0` → `3.13.1`');
    // Offline, nothing the pull request does not change is listed (cluster variables are unknown either way).
    expect(run.summary).toContain('| us-east-2 | 🟢 low | 0/6 | 1 | 0 | 0 |');
    expect(run.outputs['has-changes']).toBe('true');
    const report = JSON.parse(readFileSync(run.outputs['report-file']!, 'utf8')) as {
      mode: string;
      apiCalls: Record<string, number>;
    };
    expect(report).toMatchObject({ mode: 'offline', apiCalls: {} });
  });
});

describe('an invalid configuration', () => {
  it('fails the step with an annotation on the file and line', async () => {
    const PR = 51;
    const repo = new PullRequestRepo('invalid');
    const head = repo
      .edit('regions/us-west-2.yaml', 'vpcCidr: 10.1.0.0/16', 'vpcCidr: 10.0.128.0/17')
      .commit('overlap');
    const run = await planRegion({ repo, head, number: PR, inputs: { region: 'us-west-2' } });
    expect(run.code).toBe(1);
    const annotation = run.errors.find((e) => e.includes('file=gitops/regions/us-west-2.yaml'));
    // The line of vpcCidr in the region file (it moves when keys are added above it).
    const vpcLine =
      readFileSync(path.join(REPO_ROOT, 'gitops', 'regions', 'us-west-2.yaml'), 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('vpcCidr:')) + 1;
    expect(vpcLine).toBeGreaterThan(0);
    expect(annotation).toMatch(
      new RegExp(`^::error [^:]*file=gitops/regions/us-west-2\\.yaml,[^:]*line=${vpcLine}\\b.*::.*overlaps`),
    );
    expect(run.stdout).toMatch(/^::error::plan-region failed: .*overlaps/m);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    // The pull request hears it too, and the comment never reads as "no changes".
    const body = commentsOn(PR)[0]?.body ?? '';
    expect(body).toContain('## ❌ Plan incomplete: 1 problem');
    expect(body).toMatch(
      new RegExp(
        `\`gitops/regions/us-west-2\\.yaml:${vpcLine}\`: \\(vpcCidr\\): 10\\.0\\.128\\.0/17 overlaps us-east-2's 10\\.0\\.0\\.0/16`,
      ),
    );
    expect(body).not.toContain('no changes');
  });
});
