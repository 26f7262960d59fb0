import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  GetStackPolicyCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
  waitUntilChangeSetCreateComplete,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand } from '@aws-sdk/client-route-53';
import { runApply } from '../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { runCli } from '../helpers/run-cli.js';
import { REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.js';

/*
 * The platform's central promise, end to end with the built bundles against moto: plan-region on a pull
 * request's head, then apply-region on the push of its merge. Apply executes only change sets it made
 * itself from main; whatever a holder of the plan role does to change sets, only main's content runs.
 * Each attack is paired with its untouched twin (the contract test): the same flow without the attack
 * executes and reports `reviewed: true`, so a refusal or a difference cannot pass for the wrong reason.
 */

const ACCOUNT = '123456789012';
const REPOSITORY = 'coderdemo/coderdemo-gitops';
const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`;
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-deploy`;
const STACK = 'coderdemo-us-east-2-dns';
const INJECTED_ROLE = 'injected-foreign-role';
const ACCOUNT_STACK = 'coderdemo-us-east-2-github-oidc';
const INJECTED_ACCOUNT_ROLE = 'injected-account-role';
const RUN_MS = 150_000;

let moto: MotoServer;
let oidc: OidcTokenServer;
let gh: GitHubApiStandIn;
let tmp: string;
let repo: string;
let admin: AwsClientFactory;
let prNumber = 40;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
}

beforeAll(async () => {
  for (const a of ['plan-region', 'apply-region'])
    if (!existsSync(path.join(REPO_ROOT, 'actions', a, 'dist', 'index.js')))
      throw new Error(`actions/${a}/dist/index.js is missing: run npm run package`);
  tmp = mkdtempSync(path.join(tmpdir(), 'reviewed-applied-'));
  [moto, oidc, gh] = await Promise.all([
    startMoto(ACCOUNT),
    startOidcTokenServer({ subject: `repo:${REPOSITORY}:pull_request`, repository: REPOSITORY }),
    startGitHubApiStandIn(),
  ]);
  admin = new AwsClientFactory();
  let zoneId = '';
  for (let i = 0; !zoneId.startsWith('Z'); i++) {
    if (zoneId) await admin.route53().send(new DeleteHostedZoneCommand({ Id: zoneId }));
    const z = await admin
      .route53()
      .send(new CreateHostedZoneCommand({ Name: 'coderdemo.io', CallerReference: `reviewed-${i}` }));
    zoneId = z.HostedZone!.Id!.replace('/hostedzone/', '');
  }
  repo = path.join(tmp, 'repo');
  cpSync(path.join(REPO_ROOT, 'gitops'), path.join(repo, 'gitops'), { recursive: true });
  const platform = path.join(repo, 'gitops', 'platform.yaml');
  writeFileSync(
    platform,
    readFileSync(platform, 'utf8').replace(/^hostedZoneId: .*$/m, `hostedZoneId: ${zoneId}`),
  );
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'main');
  // Main is already deployed (the fixture's contract: a pull request's plan shows only its own change).
  const config = await loadGitops(path.join(repo, 'gitops'));
  const deploy = (account: boolean) =>
    runApply({
      config,
      gitopsDir: config.dir,
      regions: account ? [] : ['us-east-2'],
      account,
      headSha: git('rev-parse', 'HEAD'),
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
    const deployed = await deploy(account);
    if (deployed.errors.length) throw new Error(`could not deploy main: ${deployed.errors.join('; ')}`);
  }
}, 300_000);

afterAll(async () => {
  await Promise.all([gh?.close(), oidc?.close(), moto?.stop()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A pull request adding one SSM parameter to a stack's template (dns by default): its head, checked out. */
function openPullRequest(note: string, template = 'dns'): PullRequest {
  const base = git('rev-parse', 'HEAD');
  git('checkout', '-q', '-b', `pr-${note}`);
  const file = path.join(repo, 'gitops', 'stacks', `${template}.yaml`);
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      'Outputs:\n',
      `  ${note}:\n    Type: AWS::SSM::Parameter\n    Properties: { Name: !Sub "/\${AWS::StackName}/${note}", Type: String, Value: ${note} }\nOutputs:\n`,
    ),
  );
  git('commit', '-qam', `${template}: add ${note}`);
  return { number: ++prNumber, base, head: git('rev-parse', 'HEAD'), branch: `pr-${note}` };
}

interface PullRequest {
  number: number;
  base: string;
  head: string;
  branch: string;
}

/** Merge the pull request into main (a merge commit); the GitHub stand-in associates it with the sha. */
function merge(pr: PullRequest): string {
  git('checkout', '-q', 'main');
  git('merge', '-q', '--no-ff', '-m', `Merge pull request #${pr.number}`, pr.branch);
  const after = git('rev-parse', 'HEAD');
  gh.associatedPulls[after] = [
    {
      number: pr.number,
      state: 'closed',
      merged_at: new Date().toISOString(),
      head: { sha: pr.head },
      base: { ref: 'main' },
    },
  ];
  return after;
}

function plan(pr: PullRequest, region = 'us-east-2'): Promise<ActionRun> {
  return runAction({
    action: 'plan-region',
    cwd: repo,
    eventName: 'pull_request',
    event: {
      action: 'synchronize',
      number: pr.number,
      pull_request: {
        number: pr.number,
        head: { sha: pr.head, ref: 'change', repo: { full_name: REPOSITORY, fork: false } },
        base: { sha: pr.base, ref: 'main', repo: { full_name: REPOSITORY, fork: false } },
      },
    },
    inputs: {
      'role-to-assume': PLAN_ROLE,
      'allowed-account-ids': ACCOUNT,
      'github-token': 'ghs_reviewedAppliedE2eToken0123456',
      'gitops-dir': 'gitops',
      comment: 'false',
      region,
    },
    env: {
      GITHUB_SHA: pr.head,
      GITHUB_REF: `refs/pull/${pr.number}/merge`,
      GITHUB_API_URL: gh.url,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
    },
    timeoutMs: RUN_MS,
  });
}

function apply(before: string, after: string, over: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    action: 'apply-region',
    cwd: repo,
    eventName: 'push',
    event: { ref: 'refs/heads/main', before, after, repository: { full_name: REPOSITORY } },
    inputs: {
      region: 'us-east-2',
      'role-to-assume': DEPLOY_ROLE,
      'allowed-account-ids': ACCOUNT,
      'gitops-dir': 'gitops',
      'dry-run': 'false',
      dns: 'hold',
      cluster: 'skip',
      'allow-destructive': 'false',
      'timeout-minutes': '10',
      'github-token': 'ghs_reviewedAppliedE2eToken0123456',
      ...over,
    },
    env: {
      GITHUB_SHA: after,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_API_URL: gh.url,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
    },
    timeoutMs: RUN_MS,
  });
}

interface StackRecord {
  stack: string;
  stackName: string;
  result: string;
  reviewed: boolean;
  decision?: string;
  changeSet?: string;
  reviewedChangeSet?: string;
  differences?: string[];
}

function report(run: ActionRun): { stacks: StackRecord[]; apiCalls: Record<string, number> } {
  const r = JSON.parse(readFileSync(run.outputs['report-file']!, 'utf8')) as {
    applied: StackRecord[];
    apiCalls: Record<string, number>;
  };
  return { stacks: r.applied, apiCalls: r.apiCalls };
}

const cfn = () => admin.cloudFormation('us-east-2');

async function deployedTemplate(stack = STACK): Promise<string> {
  return (await cfn().send(new GetTemplateCommand({ StackName: stack }))).TemplateBody ?? '';
}

/** IAM read back with the AWS CLI (the project has no IAM client): does the injected role exist? */
function injectedRoleExists(role = INJECTED_ROLE): boolean {
  const out = execFileSync(
    'aws',
    ['--endpoint-url', moto.endpoint, '--region', 'us-east-1', 'iam', 'list-roles', '--output', 'json'],
    {
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
    },
  );
  const roles = (JSON.parse(out) as { Roles: { RoleName: string }[] }).Roles.map((r) => r.RoleName);
  expect(roles.length).toBeGreaterThan(0);
  return roles.includes(role);
}

/**
 * What a holder of the plan role can do: make a change set under any name and Description, from the
 * pull request's template plus an IAM role trusting a foreign account.
 */
async function plantChangeSet(
  name: string,
  description: string | undefined,
  parameters: Parameter[],
  target = { stack: STACK, template: 'dns', role: INJECTED_ROLE },
) {
  const template = readFileSync(
    path.join(repo, 'gitops', 'stacks', `${target.template}.yaml`),
    'utf8',
  ).replace(
    '\nOutputs:\n',
    `\n  Injected:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: ${target.role}\n      AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }] }\nOutputs:\n`,
  );
  await cfn().send(
    new CreateChangeSetCommand({
      StackName: target.stack,
      ChangeSetName: name,
      ChangeSetType: 'UPDATE',
      TemplateBody: template,
      Parameters: parameters,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Description: description,
    }),
  );
  await waitUntilChangeSetCreateComplete(
    { client: cfn(), maxWaitTime: 60, minDelay: 1 },
    { StackName: target.stack, ChangeSetName: name },
  );
}

async function reviewed(head: string, stack = STACK) {
  const name = `cg-${head.slice(0, 12)}-${stack}`;
  return {
    name,
    cs: await cfn().send(new DescribeChangeSetCommand({ StackName: stack, ChangeSetName: name })),
  };
}

async function changeSetsOf(stack: string) {
  return (await cfn().send(new ListChangeSetsCommand({ StackName: stack }))).Summaries ?? [];
}

async function executionStatus(name: string, stack = STACK): Promise<string | undefined> {
  return (await changeSetsOf(stack)).find((s) => s.ChangeSetName === name)?.ExecutionStatus;
}

/** The untouched twin of every attack below: plan on the head, merge, apply. */
async function contractRun(note: string, over: Record<string, string> = {}) {
  const pr = openPullRequest(note);
  const planned = await plan(pr);
  expect(planned.errors).toEqual([]);
  return {
    pr,
    planned,
    go: async () => {
      const after = merge(pr);
      return { after, run: await apply(pr.base, after, over) };
    },
  };
}

describe('reviewed = applied (plan-region and apply-region dist, moto)', () => {
  test(
    'contract: apply executes its own change set from main, with the reviewed changes, and says reviewed: true per stack',
    async () => {
      const flow = await contractRun('NoteOne', { 'allow-destructive': 'true' });
      const { name: reviewedName } = await reviewed(flow.pr.head);
      const { after, run } = await flow.go();
      expect(run.errors).toEqual([]);
      expect(run.outputs.status).toBe('applied');
      const { stacks, apiCalls } = report(run);
      // Every stack of the region matches the review; only the one the pull request changed ran.
      expect(stacks.length).toBeGreaterThan(1);
      for (const s of stacks) {
        expect([s.stack, s.result, s.reviewed]).toEqual([
          s.stack,
          s.stack === 'dns' ? 'updated' : 'no-changes',
          true,
        ]);
      }
      const app = stacks.find((s) => s.stack === 'dns')!;
      expect(app).toMatchObject({
        decision: 'execute-reviewed',
        reviewedChangeSet: reviewedName,
        differences: [],
      });
      expect(app.changeSet).toMatch(new RegExp(`^ca-${after.slice(0, 12)}-[0-9a-f]{16}-${STACK}$`));
      // Nothing else was executed: the reviewed change set was only compared with.
      expect(await executionStatus(app.changeSet!)).toBe('EXECUTE_COMPLETE');
      expect(await executionStatus(reviewedName)).not.toBe('EXECUTE_COMPLETE');
      expect(await deployedTemplate()).toContain('NoteOne');
      // Low risk: the stack policy was set once (protective), never lifted, even with allow-destructive.
      expect(apiCalls['CloudFormation.SetStackPolicy']).toBe(1);
      expect(run.summary).toContain('reviewed: true');
    },
    3 * RUN_MS,
  );

  test(
    'attack: the reviewed change set swapped (same name, same Description, an extra foreign-trust role) — only main runs',
    async () => {
      const flow = await contractRun('NoteTwo');
      const { name, cs } = await reviewed(flow.pr.head);
      await cfn().send(new DeleteChangeSetCommand({ StackName: STACK, ChangeSetName: name }));
      await plantChangeSet(name, cs.Description, cs.Parameters ?? []);
      const { run } = await flow.go();
      expect(run.errors).toEqual([]);
      const app = report(run).stacks.find((s) => s.stack === 'dns')!;
      expect(app).toMatchObject({ result: 'updated', reviewed: false, decision: 'execute-with-differences' });
      expect(app.differences).toEqual([
        'Add Injected (AWS::IAM::Role): only in the reviewed change set (main does not declare it)',
      ]);
      expect(run.stdout).toMatch(/the reviewed change set cg-\w+-coderdemo-us-east-2-dns differs from main/);
      expect(injectedRoleExists()).toBe(false);
      expect(await deployedTemplate()).toContain('NoteTwo');
      expect(await deployedTemplate()).not.toContain(INJECTED_ROLE);
    },
    3 * RUN_MS,
  );

  test(
    'attack: change sets pre-created under every name apply used to pick (ca-/cg-<merge sha>) are never executed',
    async () => {
      const flow = await contractRun('NoteThree');
      const { cs } = await reviewed(flow.pr.head);
      // The merge commit's sha is only known once merged; an attacker racing the deploy plants right after.
      const after = merge(flow.pr);
      const planted = [`ca-${after.slice(0, 12)}-${STACK}`, `cg-${after.slice(0, 12)}-${STACK}`];
      for (const n of planted)
        await plantChangeSet(n, `coder-gitops apply hash=x head=${after}`, cs.Parameters ?? []);
      const run = await apply(flow.pr.base, after);
      expect(run.errors).toEqual([]);
      const app = report(run).stacks.find((s) => s.stack === 'dns')!;
      expect(app).toMatchObject({ result: 'updated', reviewed: true, decision: 'execute-reviewed' });
      expect(planted).not.toContain(app.changeSet);
      for (const n of planted) expect(await executionStatus(n)).not.toBe('EXECUTE_COMPLETE');
      expect(injectedRoleExists()).toBe(false);
      expect(await deployedTemplate()).toContain('NoteThree');
    },
    3 * RUN_MS,
  );

  test(
    'attack: a forged risk=high Description with allow-destructive — the stack policy stays (GetStackPolicy)',
    async () => {
      const flow = await contractRun('NoteFour', { 'allow-destructive': 'true' });
      const { name, cs } = await reviewed(flow.pr.head);
      const template = readFileSync(path.join(repo, 'gitops', 'stacks', 'dns.yaml'), 'utf8');
      await cfn().send(new DeleteChangeSetCommand({ StackName: STACK, ChangeSetName: name }));
      await cfn().send(
        new CreateChangeSetCommand({
          StackName: STACK,
          ChangeSetName: name,
          ChangeSetType: 'UPDATE',
          TemplateBody: template,
          Parameters: cs.Parameters,
          Description: `coder-gitops plan hash=${'0'.repeat(32)} risk=high head=${flow.pr.head}`,
        }),
      );
      await waitUntilChangeSetCreateComplete(
        { client: cfn(), maxWaitTime: 60, minDelay: 1 },
        { StackName: STACK, ChangeSetName: name },
      );
      const { run } = await flow.go();
      expect(run.errors).toEqual([]);
      const { stacks, apiCalls } = report(run);
      expect(stacks.find((s) => s.stack === 'dns')).toMatchObject({ result: 'updated', reviewed: true });
      expect(apiCalls['CloudFormation.SetStackPolicy']).toBe(1);
      expect(run.stdout).not.toContain('stack policy lifted');
      const policy = await cfn().send(new GetStackPolicyCommand({ StackName: STACK }));
      expect(policy.StackPolicyBody).toMatch(/"Deny".*Update:Replace/);
    },
    3 * RUN_MS,
  );
});

/*
 * `coder-gitops apply --account` (the CLI a person runs with administrator credentials) under the same
 * rules: it runs only from the tip of main (origin/main fetched just before, gitops/ clean), executes only
 * a change set it made itself from that checkout, and compares it with the plan the pull request got
 * (the merge commit's second parent). The repository's origin is a bare clone, as a person's checkout has.
 */
describe('apply --account (the coder-gitops CLI, administrator credentials, moto)', () => {
  const adminEnv = {
    AWS_ENDPOINT_URL: '',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-2',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  beforeAll(() => {
    adminEnv.AWS_ENDPOINT_URL = moto.endpoint;
    git('checkout', '-q', 'main');
    const origin = path.join(tmp, 'origin.git');
    execFileSync('git', ['clone', '-q', '--bare', repo, origin]);
    git('remote', 'add', 'origin', origin);
    git('fetch', '-q', 'origin');
  });

  /** `coder-gitops apply --account --json` on the checkout; the report from stdout when there is one. */
  async function applyAccount() {
    const run = await runCli(
      ['apply', '--account', '--json', '--gitops-dir', path.join(repo, 'gitops')],
      adminEnv,
    );
    let stacks: StackRecord[] = [];
    if (run.code === 0 || run.stdout.trim().startsWith('{'))
      stacks = (JSON.parse(run.stdout) as { applied: StackRecord[] }).applied;
    return { ...run, stack: stacks.find((s) => s.stackName === ACCOUNT_STACK) };
  }

  /** A pull request changing github-oidc, planned by plan-region (region: changed picks the account stacks). */
  async function accountPullRequest(note: string) {
    const pr = openPullRequest(note, 'github-oidc');
    const planned = await plan(pr, 'changed');
    expect(planned.errors).toEqual([]);
    const { name } = await reviewed(pr.head, ACCOUNT_STACK);
    return { pr, reviewedName: name };
  }

  function mergeAndPush(pr: PullRequest): string {
    const after = merge(pr);
    git('push', '-q', 'origin', 'main');
    return after;
  }

  test(
    'contract: from the tip of main it executes its own change set with the reviewed changes and says reviewed: true',
    async () => {
      const { pr, reviewedName } = await accountPullRequest('OidcNoteOne');
      const after = mergeAndPush(pr);
      const run = await applyAccount();
      expect(run.stderr).toContain(`account stacks from ${after.slice(0, 12)}: HEAD equals origin/main`);
      expect(run.code).toBe(0);
      expect(run.stack).toMatchObject({
        result: 'updated',
        reviewed: true,
        decision: 'execute-reviewed',
        reviewedChangeSet: reviewedName,
        differences: [],
      });
      expect(run.stack!.changeSet).toMatch(
        new RegExp(`^ca-${after.slice(0, 12)}-[0-9a-f]{16}-${ACCOUNT_STACK}$`),
      );
      expect(await executionStatus(run.stack!.changeSet!, ACCOUNT_STACK)).toBe('EXECUTE_COMPLETE');
      expect(await executionStatus(reviewedName, ACCOUNT_STACK)).not.toBe('EXECUTE_COMPLETE');
      expect(await deployedTemplate(ACCOUNT_STACK)).toContain('OidcNoteOne');
    },
    3 * RUN_MS,
  );

  test(
    'attack: the reviewed github-oidc change set swapped (same name and Description, an extra foreign-trust role) — only main runs',
    async () => {
      const { pr, reviewedName } = await accountPullRequest('OidcNoteTwo');
      const { cs } = await reviewed(pr.head, ACCOUNT_STACK);
      await cfn().send(new DeleteChangeSetCommand({ StackName: ACCOUNT_STACK, ChangeSetName: reviewedName }));
      await plantChangeSet(reviewedName, cs.Description, cs.Parameters ?? [], {
        stack: ACCOUNT_STACK,
        template: 'github-oidc',
        role: INJECTED_ACCOUNT_ROLE,
      });
      mergeAndPush(pr);
      const run = await applyAccount();
      expect(run.code).toBe(0);
      expect(run.stack).toMatchObject({
        result: 'updated',
        reviewed: false,
        decision: 'execute-with-differences',
        reviewedChangeSet: reviewedName,
      });
      expect(run.stack!.differences).toEqual([
        'Add Injected (AWS::IAM::Role): only in the reviewed change set (main does not declare it)',
      ]);
      expect(run.stderr).toContain(`the reviewed change set ${reviewedName} differs from main`);
      expect(injectedRoleExists(INJECTED_ACCOUNT_ROLE)).toBe(false);
      expect(await executionStatus(reviewedName, ACCOUNT_STACK)).not.toBe('EXECUTE_COMPLETE');
      const template = await deployedTemplate(ACCOUNT_STACK);
      expect(template).toContain('OidcNoteTwo');
      expect(template).not.toContain(INJECTED_ACCOUNT_ROLE);
    },
    3 * RUN_MS,
  );

  test.each([
    [
      'a local commit ahead of origin/main',
      () => {
        const file = path.join(repo, 'gitops', 'stacks', 'github-oidc.yaml');
        writeFileSync(
          file,
          readFileSync(file, 'utf8').replace('\nOutputs:\n', '\n  # local only\nOutputs:\n'),
        );
        git('commit', '-qam', 'github-oidc: a local commit nobody reviewed');
      },
      /refusing to apply the account stacks: HEAD \w{12} is not the tip of origin\/main \(\w{12}\): check out and pull main, then re-run/,
    ],
    [
      'an uncommitted change under gitops/',
      () => {
        const file = path.join(repo, 'gitops', 'stacks', 'github-oidc.yaml');
        writeFileSync(
          file,
          readFileSync(file, 'utf8').replace('\nOutputs:\n', '\n  # not committed\nOutputs:\n'),
        );
      },
      /refusing to apply the account stacks: uncommitted changes under .*gitops \(\s?M gitops\/stacks\/github-oidc.yaml\): only main's committed content is applied/,
    ],
  ])(
    'refused when the checkout is not the tip of main (%s): a clear message, nothing executed',
    async (_what, arrange, message) => {
      git('checkout', '-q', 'main');
      git('reset', '-q', '--hard', 'origin/main');
      const before = (await changeSetsOf(ACCOUNT_STACK)).map(
        (c) => `${c.ChangeSetName} ${c.ExecutionStatus}`,
      );
      const template = await deployedTemplate(ACCOUNT_STACK);
      arrange();
      try {
        const run = await applyAccount();
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stack).toBeUndefined();
        // No change set made, none executed, the stack as it was.
        expect(
          (await changeSetsOf(ACCOUNT_STACK)).map((c) => `${c.ChangeSetName} ${c.ExecutionStatus}`),
        ).toEqual(before);
        expect(await deployedTemplate(ACCOUNT_STACK)).toBe(template);
      } finally {
        git('reset', '-q', '--hard', 'origin/main');
      }
    },
    RUN_MS,
  );
});
