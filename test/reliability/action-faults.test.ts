import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { makeGitopsWorkspace, type GitopsWorkspace } from '../helpers/gitops-workspace.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { githubSubjects } from '../helpers/github-subjects.js';

// Faults while the bundled actions run as a runner runs them: the GitHub API failing or rate limiting
// while plan-region comments, and the AWS emulator dying in the middle of apply-region. Each run ends
// with a correct result or a clear failure, the report file and the job summary are written either way,
// and the re-run completes without creating anything twice.

const ACCOUNT = '123456789012';
const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`;
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-deploy`;
// The subjects GitHub issues: plan.yml on a pull request, apply on a push to main.
const PULL_REQUEST = githubSubjects('coder/coderdemo-gitops').pullRequest;
const MAIN = githubSubjects('coder/coderdemo-gitops').deployApply;
const COMMENTS = /^POST \/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/;

let moto: MotoServer;
let proxy: FaultProxy;
let oidc: OidcTokenServer;
let github: GitHubApiStandIn;
let ws: GitopsWorkspace;
beforeAll(async () => {
  // IAM enforced with github-oidc.yaml's roles (a reset bootstraps them again).
  moto = await startMoto(ACCOUNT, { workflowRoles: { repository: 'coder/coderdemo-gitops' } });
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  oidc = await startOidcTokenServer({ subject: PULL_REQUEST });
  ws = makeGitopsWorkspace((dir) =>
    appendFileSync(join(dir, 'regions', 'us-west-2.yaml'), '\n# a reviewed change\n'),
  );
}, 60_000);
afterAll(async () => {
  await oidc?.close();
  await proxy?.close();
  await moto?.stop();
});

function env(githubUrl: string) {
  return {
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
    GITHUB_API_URL: githubUrl,
    GITHUB_SHA: ws.headSha,
  };
}

function plan(): Promise<ActionRun> {
  oidc.subject = PULL_REQUEST;
  return runAction({
    action: 'plan-region',
    cwd: ws.dir,
    eventName: 'pull_request',
    event: {
      number: 7,
      pull_request: {
        number: 7,
        title: 'Change us-west-2',
        head: { sha: ws.headSha, ref: 'feature', repo: { full_name: 'coder/coderdemo-gitops', fork: false } },
        base: { sha: ws.baseSha, ref: 'main', repo: { full_name: 'coder/coderdemo-gitops' } },
      },
    },
    inputs: {
      region: 'us-east-2',
      'role-to-assume': PLAN_ROLE,
      'allowed-account-ids': ACCOUNT,
      'github-token': 'ghs_actionFaultsToken000000000000',
      comment: 'true',
    },
    env: env(github.url),
  });
}

function expectReportAndSummary(run: ActionRun): void {
  expect(run.summary.trim().length).toBeGreaterThan(0);
  const report = run.outputs['report-file'];
  expect(report).toBeDefined();
  expect(existsSync(report!)).toBe(true);
  expect(() => JSON.parse(readFileSync(report!, 'utf8')) as unknown).not.toThrow();
}

function expectNoStackTrace(run: ActionRun): void {
  expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/\n\s+at \S+.*(\(|:\d+)/);
}

describe('plan-region while the GitHub API fails or rate-limits', () => {
  beforeEach(async () => {
    await moto.reset();
    github = await startGitHubApiStandIn();
  });
  afterEach(async () => {
    await github.close();
  });

  const posts = () => github.requests.filter((r) => COMMENTS.test(`${r.method} ${r.path}`)).length;

  test.each([
    {
      name: '502 then 503',
      faults: [
        { match: COMMENTS, status: 502 },
        { match: COMMENTS, status: 503 },
      ],
    },
    {
      name: 'the primary rate limit (403, x-ratelimit-remaining: 0)',
      faults: [
        {
          match: COMMENTS,
          status: 403,
          message: 'API rate limit exceeded for installation ID 1.',
          headers: {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
          },
        },
      ],
    },
    {
      name: 'a secondary rate limit (429, Retry-After: 1)',
      faults: [
        {
          match: COMMENTS,
          status: 429,
          message: 'You have exceeded a secondary rate limit.',
          headers: { 'retry-after': '1' },
        },
      ],
    },
  ])(
    '$name while posting: retried, one comment, the step passes',
    async ({ faults }) => {
      github.faults.push(...faults);
      const run = await plan();
      expectNoStackTrace(run);
      expect(run.errors).toEqual([]);
      expect(run.code).toBe(0);
      expect(github.faults).toEqual([]); // every fault was met…
      expect(posts()).toBe(faults.length + 1); // …and followed by exactly one successful post
      expect(github.comments).toHaveLength(1);
      expectReportAndSummary(run);
    },
    120_000,
  );

  test('a 503 while editing the sticky comment on the next push: retried, still one comment, updated', async () => {
    expect((await plan()).code).toBe(0);
    expect(github.comments).toHaveLength(1);
    const first = github.comments[0]!.updated_at;
    // An older plan in the comment (same marker), so the new run must edit it whatever its timings say.
    const marker = /<!--[\s\S]*?-->/.exec(github.comments[0]!.body)![0];
    github.comments[0]!.body = `${marker}\nan older plan`;
    github.faults.push({ match: /^PATCH \/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/, status: 503 });
    await new Promise((r) => setTimeout(r, 5));
    const again = await plan();
    expect(again.code).toBe(0);
    expect(github.faults).toEqual([]);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]!.updated_at >= first).toBe(true);
    expect(github.comments[0]!.body).not.toContain('an older plan');
    expect(github.requests.filter((r) => r.method === 'PATCH').length).toBe(2);
    expect(github.requests.filter((r) => r.method === 'POST').length).toBe(1);
  }, 120_000);

  test('the API failing on every try: a clear message, the plan in the summary and the report', async () => {
    github.faults.push({ match: COMMENTS, status: 500, times: 100, message: 'Server Error' });
    const run = await plan();
    expectNoStackTrace(run);
    expect(github.comments).toHaveLength(0);
    const said = run.stdout.split('\n').filter((l) => /^::(warning|error)/.test(l));
    expect(said.join('\n')).toMatch(/comment.*(500|Server Error)/);
    expect(said.join('\n')).toMatch(/job summary/);
    expectReportAndSummary(run);
    expect(run.summary).toMatch(/us-east-2/);
  }, 120_000);
});

describe('plan-region while AWS throttles, fails or dies', () => {
  beforeEach(async () => {
    await moto.reset();
    proxy.rules = [];
    proxy.resetCounts();
    github = await startGitHubApiStandIn();
  });
  afterEach(async () => {
    await proxy.resume();
    proxy.rules = [];
    await github.close();
  });

  const outcome = (run: ActionRun) => ({
    code: run.code,
    errors: run.errors,
    risk: run.outputs.risk,
    regions: run.outputs.regions,
    'has-changes': run.outputs['has-changes'],
  });

  test('throttling, 5xx and dropped connections on first attempts: the same plan as a clean run', async () => {
    const clean = await plan();
    expect(clean.code).toBe(0);
    await moto.reset();
    proxy.resetCounts();
    proxy.rules = [
      { firstAttempts: 1, every: 2, fault: 'throttle' },
      { firstAttempts: 2, every: 3, fault: 503 },
      { firstAttempts: 1, every: 5, fault: 'drop' },
    ];
    const faulty = await plan();
    expect([...proxy.faults().values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
    expectNoStackTrace(faulty);
    expect(outcome(faulty)).toEqual(outcome(clean));
    expectReportAndSummary(faulty);
    const stacks = (report: ActionRun) =>
      (
        JSON.parse(readFileSync(report.outputs['report-file']!, 'utf8')) as {
          regions: { stacks: { stack: string; status: string; changeSetName?: string }[] }[];
        }
      ).regions.flatMap((r) => r.stacks.map((x) => `${x.stack}:${x.status}:${x.changeSetName ?? '-'}`));
    expect(stacks(faulty)).toEqual(stacks(clean));
  }, 120_000);

  test('the emulator dies at the first change set: a failed step that says so, with its report and summary', async () => {
    proxy.rules = [{ operation: 'CreateChangeSet', times: 1, fault: 'stop' }];
    const run = await plan();
    expect(proxy.stopped).toBe(true);
    expectNoStackTrace(run);
    expectReportAndSummary(run);
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/coderdemo-us-east-2-\w+/);
  }, 120_000);
});

describe('apply-region when the emulator dies mid-apply', () => {
  beforeAll(async () => {
    github = await startGitHubApiStandIn();
  });
  afterAll(async () => {
    await github.close();
  });

  const apply = () => {
    oidc.subject = MAIN;
    return runAction({
      action: 'apply-region',
      cwd: ws.dir,
      eventName: 'push',
      event: {},
      inputs: {
        region: 'us-east-2',
        'role-to-assume': DEPLOY_ROLE,
        'allowed-account-ids': ACCOUNT,
        'github-token': 'ghs_actionFaultsToken000000000000',
        cluster: 'skip',
        dns: 'hold',
        'timeout-minutes': '5',
      },
      env: env(github.url),
      timeoutMs: 240_000,
    });
  };

  const liveStacks = async () =>
    (
      (await new AwsClientFactory().cloudFormation('us-east-2').send(new ListStacksCommand({})))
        .StackSummaries ?? []
    )
      .filter((s) => s.StackStatus !== 'DELETE_COMPLETE')
      .map((s) => `${s.StackName}:${s.StackStatus}`)
      .sort();

  test('fails clearly with its report and summary; the re-run completes; nothing exists twice', async () => {
    await moto.reset();
    proxy.resetCounts();
    // Dies as the second stack is executed.
    proxy.rules = [{ operation: 'ExecuteChangeSet', after: 1, times: 1, fault: 'stop' }];
    const cut = await apply();
    expect(proxy.stopped).toBe(true);
    expectNoStackTrace(cut);
    expect(cut.code).toBe(1);
    expect(cut.errors.length).toBeGreaterThanOrEqual(1);
    expect(cut.errors.join('\n')).toMatch(/coderdemo-us-east-2-\w+/);
    expect(cut.errors.join('\n')).toMatch(/re-run/i);
    expectReportAndSummary(cut);

    await proxy.resume();
    proxy.rules = [];
    const rerun = await apply();
    expectNoStackTrace(rerun);
    expect(rerun.errors).toEqual([]);
    expect(rerun.code).toBe(0);
    expectReportAndSummary(rerun);
    const stacks = await liveStacks();
    const names = stacks.map((s) => s.split(':')[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(stacks.every((s) => /:(CREATE|UPDATE)_COMPLETE$/.test(s))).toBe(true);
    expect(names).toEqual(expect.arrayContaining(['coderdemo-us-east-2-network']));
  }, 300_000);
});
