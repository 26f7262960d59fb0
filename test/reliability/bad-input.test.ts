import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { makeGitopsWorkspace, type GitopsWorkspace } from '../helpers/gitops-workspace.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { runAction, type ActionRun, type RunActionOptions } from '../helpers/run-action.js';
import { githubSubjects } from '../helpers/github-subjects.js';

const SUBJECTS = githubSubjects('coderdemo/coderdemo-gitops');

// Bad input at the action level: the bundled action, run as a runner runs it, must say clearly what is
// wrong (one or more ::error:: lines naming the file/field/input), never print a stack trace, and leave
// AWS untouched (the emulator holds no stack afterwards, not even a change set's REVIEW_IN_PROGRESS one).

const ACCOUNT = '123456789012';
const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`;
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-deploy`;
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-2'];

let moto: MotoServer;
let oidc: OidcTokenServer;
let github: GitHubApiStandIn;
beforeAll(async () => {
  // IAM enforced with github-oidc.yaml's roles (a reset bootstraps them again).
  moto = await startMoto(ACCOUNT, { workflowRoles: {} });
  oidc = await startOidcTokenServer({ subject: SUBJECTS.pullRequest });
  github = await startGitHubApiStandIn();
}, 60_000);
afterAll(async () => {
  await github?.close();
  await oidc?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  github.comments.splice(0);
  github.requests.splice(0);
});

function pullRequestEvent(ws: GitopsWorkspace, over: { title?: string; ref?: string } = {}) {
  return {
    number: 7,
    pull_request: {
      number: 7,
      title: over.title ?? 'Change the platform',
      head: {
        sha: ws.headSha,
        ref: over.ref ?? 'feature',
        repo: { full_name: 'coder/coderdemo-gitops', fork: false },
      },
      base: { sha: ws.baseSha, ref: 'main', repo: { full_name: 'coder/coderdemo-gitops' } },
    },
    repository: { full_name: 'coder/coderdemo-gitops' },
  };
}

function run(
  action: RunActionOptions['action'],
  ws: GitopsWorkspace,
  inputs: Record<string, string>,
  event?: Record<string, unknown>,
): Promise<ActionRun> {
  // The subject GitHub issues the job: a pull request's for plan, main's for apply.
  oidc.subject =
    action === 'plan-region'
      ? SUBJECTS.pullRequest
      : action === 'apply-region'
        ? SUBJECTS.deployApply
        : SUBJECTS.deployVerify;
  return runAction({
    action,
    cwd: ws.dir,
    eventName: event ? 'pull_request' : 'push',
    event: event ?? {},
    inputs: {
      'role-to-assume': action === 'plan-region' ? PLAN_ROLE : DEPLOY_ROLE,
      'allowed-account-ids': ACCOUNT,
      'github-token': 'ghs_reliabilityBadInputToken0001',
      ...inputs,
    },
    env: {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      GITHUB_API_URL: github.url,
      GITHUB_SHA: ws.headSha,
      GITHUB_REPOSITORY: 'coder/coderdemo-gitops',
    },
  });
}

/** Every stack the emulator holds, in any region we use (a change set's stack included). */
async function stacksInEmulator(): Promise<string[]> {
  const aws = new AwsClientFactory();
  const out: string[] = [];
  for (const region of REGIONS) {
    const res = await aws.cloudFormation(region).send(new ListStacksCommand({}));
    // The account stack is the bootstrap's (startMoto applies github-oidc as the administrator).
    for (const s of res.StackSummaries ?? [])
      if (!s.StackName?.endsWith('-github-oidc')) out.push(`${region}/${s.StackName}:${s.StackStatus}`);
  }
  return out;
}

function expectNoStackTrace(r: ActionRun): void {
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at \S+.*(\(|:\d+)/);
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\b(TypeError|ReferenceError|SyntaxError): /);
}

const edit = (file: string, fn: (text: string) => string) => (gitopsDir: string) => {
  const p = join(gitopsDir, file);
  writeFileSync(p, fn(readFileSync(p, 'utf8')));
};

interface Case {
  name: string;
  change?: (gitopsDir: string) => void;
  inputs?: Record<string, string>;
  /** What the ::error:: lines must say. */
  message: RegExp;
}

const CONFIG_CASES: Case[] = [
  {
    name: 'malformed YAML',
    change: edit('regions/us-west-2.yaml', (t) => `${t}\nextra: [unclosed, list\n`),
    message: /regions\/us-west-2\.yaml:\d+/,
  },
  {
    name: 'a wrong type',
    change: edit('regions/us-west-2.yaml', (t) => t.replace(/^wave: .*$/m, 'wave: "two"')),
    message: /regions\/us-west-2\.yaml:\d+.*wave/,
  },
  {
    name: 'overlapping VPC CIDRs',
    change: edit('regions/us-west-2.yaml', (t) => t.replace(/^vpcCidr: .*$/m, 'vpcCidr: 10.0.128.0/17')),
    message: /10\.0\.128\.0\/17 overlaps us-east-2's 10\.0\.0\.0\/16/,
  },
  {
    name: 'a missing template parameter',
    change: edit('regions/us-east-2.yaml', (t) => t.replace(/^ {6}VpcCidr: \{ field: vpcCidr \}\n/m, '')),
    message: /regions\/us-east-2\.yaml.*VpcCidr/,
  },
  {
    name: 'an unresolved cluster variable',
    change: edit('infrastructure/controllers/karpenter.yaml', (t) =>
      t.replace('clusterName: ${cluster_name}', 'clusterName: ${cluster_nmae}'),
    ),
    message: /\$\{cluster_nmae\} has no source/,
  },
  {
    name: 'a template over the inline size limit',
    change: edit(
      'stacks/dns.yaml',
      (t) => `${t}\n${'# padding padding padding padding padding padding\n'.repeat(1200)}`,
    ),
    message: /stacks\/dns\.yaml.*template body is [\d,]+ bytes; CloudFormation accepts at most 51,200/,
  },
];

const INPUT_CASES: Case[] = [
  { name: 'an unknown region', inputs: { region: 'mars-north-9' }, message: /mars-north-9/ },
  {
    name: 'a base-ref that is an option, not a revision',
    inputs: { 'base-ref': `--output=${join(tmpdir(), 'cg-pwned-base-ref')}` },
    message: /base-ref/,
  },
];

describe('plan-region with bad input', () => {
  test.each([...CONFIG_CASES, ...INPUT_CASES])(
    '$name: a clear error, no stack trace, nothing in AWS',
    async ({ change, inputs, message }) => {
      const ws = makeGitopsWorkspace(change);
      const r = await run('plan-region', ws, { region: 'all', ...inputs }, pullRequestEvent(ws));
      expect(r.code).toBe(1);
      expect(r.errors.length).toBeGreaterThanOrEqual(1);
      expect(r.errors.join('\n')).toMatch(message);
      expectNoStackTrace(r);
      expect(await stacksInEmulator()).toEqual([]);
      expect(existsSync(join(tmpdir(), 'cg-pwned-base-ref'))).toBe(false);
    },
    120_000,
  );
});

describe('apply-region with bad input', () => {
  test.each([CONFIG_CASES[0]!, CONFIG_CASES[2]!, CONFIG_CASES[4]!, INPUT_CASES[0]!])(
    '$name: a clear error, no stack trace, nothing applied',
    async ({ change, inputs, message }) => {
      const ws = makeGitopsWorkspace(change);
      const r = await run('apply-region', ws, { region: 'all', cluster: 'skip', ...inputs });
      expect(r.code).toBe(1);
      expect(r.errors.join('\n')).toMatch(message);
      expectNoStackTrace(r);
      expect(await stacksInEmulator()).toEqual([]);
    },
    120_000,
  );
});

describe('plan-region with hostile pull-request values', () => {
  const marker = join(tmpdir(), `cg-pwned-${process.pid}`);
  const title = `<img src=x onerror=alert(1)> </details></table> \`\`\` @everyone $(touch ${marker}) \${{ secrets.TOKEN }}`;
  const ref = `feature/$(touch${'${IFS}'}${marker});\`touch ${marker}\`'"<script>`;

  test('the plan runs, nothing executes, and the comment carries no live markup from them', async () => {
    const ws = makeGitopsWorkspace(edit('regions/us-west-2.yaml', (t) => `${t}\n# a reviewed change\n`));
    const r = await run('plan-region', ws, { region: 'all' }, pullRequestEvent(ws, { title, ref }));
    expectNoStackTrace(r);
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(github.comments).toHaveLength(1);
    const body = github.comments[0]!.body;
    for (const text of [body, r.summary]) {
      expect(text).not.toContain('<img src=x');
      expect(text).not.toContain('<script>');
      expect(text).not.toMatch(/(^|[^`\\])@everyone/);
    }
    // A plan creates change sets and nothing else.
    expect((await stacksInEmulator()).every((s) => s.endsWith(':REVIEW_IN_PROGRESS'))).toBe(true);
  }, 120_000);
});

describe('plan-region with a plan larger than a comment may be', () => {
  test('the comment stays within 65,536 characters with its header; the rest is in the summary and report', async () => {
    const ws = makeGitopsWorkspace(edit('regions/us-west-2.yaml', (t) => `${t}\n# a reviewed change\n`));
    const r = await run('plan-region', ws, { region: 'all' }, pullRequestEvent(ws));
    expect(r.code).toBe(0);
    expectNoStackTrace(r);
    expect(github.comments).toHaveLength(1);
    const body = github.comments[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    // The full plan (every region's change sets) is larger than the comment: it went to the summary.
    expect(r.summary.length).toBeGreaterThan(body.length);
    expect(body).toMatch(/risk/i);
    for (const region of ['us-east-2', 'us-west-2']) expect(body).toContain(region);
    // Fences and <details> balanced: a cut never leaves the rest of the page inside a code block.
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
    const report = JSON.parse(readFileSync(r.outputs['report-file']!, 'utf8')) as { regions: unknown[] };
    expect(report.regions.length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
