import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrustPolicy } from '../../../src/aws/iam/trust-policy-document.js';
import {
  checkGitHubSettings,
  checkTrustPolicies,
  GITHUB_OIDC_PROVIDER,
} from '../../../src/doctor/doctor-checks.js';

const PROVIDER = {
  ...GITHUB_OIDC_PROVIDER,
  arn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
};
import { parseTemplate } from '../../../src/gitops/cfn-yaml.js';
import { SUBJECT_CLAIM_KEYS } from '../../../src/github/oidc-subject.js';
import { readRoleJobs, ROLE_VARIABLES, type RoleLogicalId } from '../../../src/github/workflow-roles.js';
import { REPO_ROOT } from '../../helpers/run-action.js';

const FILE = join(REPO_ROOT, 'gitops', 'stacks', 'github-oidc.yaml');
const REPOSITORY = 'coderdemo/coderdemo-gitops';
const TEXT = readFileSync(FILE, 'utf8');

function trustOf(text: string): Record<RoleLogicalId, unknown> {
  const template = parseTemplate(text, FILE);
  const names = {
    GitHubRepository: REPOSITORY,
    Project: 'coderdemo',
    'AWS::AccountId': '123456789012',
    'AWS::Partition': 'aws',
  };
  return Object.fromEntries(
    Object.values(ROLE_VARIABLES).map((r) => [r, readTrustPolicy(template, r, names, PROVIDER.arn)]),
  ) as Record<RoleLogicalId, unknown>;
}

async function offChecks(text: string): Promise<string[]> {
  const jobs = await readRoleJobs(REPO_ROOT);
  return checkTrustPolicies(trustOf(text), PROVIDER, jobs, { repository: REPOSITORY, branch: 'main' })
    .filter((c) => !c.ok)
    .map((c) => `${c.setting}: ${c.actual}`);
}

test('the committed trust policies accept exactly the jobs that use each role, from main', async () => {
  expect(await offChecks(TEXT)).toEqual([]);
  const jobs = await readRoleJobs(REPO_ROOT);
  expect(jobs.map((j) => `${j.workflowPath}#${j.job} ${j.role}`).sort()).toEqual([
    '.github/workflows/deploy.yml#apply DeployRole',
    '.github/workflows/deploy.yml#verify VerifyRole',
    '.github/workflows/plan.yml#plan PlanRole',
    '.github/workflows/rollout.yml#apply DeployRole',
    '.github/workflows/rollout.yml#plan PlanRole',
    '.github/workflows/rollout.yml#verify VerifyRole',
    '.github/workflows/synthetics.yml#verify VerifyRole',
  ]);
});

test.each([
  [
    'deploy trusted for production on any branch',
    (t: string) => {
      const at = t.indexOf('  DeployRole:');
      const head = t.slice(0, at);
      const rest = t
        .slice(at)
        .replace(
          /( +)StringEquals:\n( +)token\.actions\.githubusercontent\.com:aud: sts\.amazonaws\.com\n +token\.actions\.githubusercontent\.com:sub:\n(?: +- .*\n)+/,
          (_m, a: string, b: string) =>
            `${a}StringEquals:\n${b}token.actions.githubusercontent.com:aud: sts.amazonaws.com\n` +
            `${a}StringLike:\n${b}token.actions.githubusercontent.com:sub: !Sub repo:\${GitHubRepository}:environment:production:*\n`,
        );
      return head + rest;
    },
    'trust of DeployRole: .github/workflows/deploy.yml apply on another branch: accepted',
  ],
  [
    "deploy trusted with GitHub's default subject only",
    (t: string) =>
      t.replace(
        '- !Sub repo:${GitHubRepository}:environment:production:ref:refs/heads/main:job_workflow_ref:${GitHubRepository}/.github/workflows/deploy.yml@refs/heads/main',
        '- !Sub repo:${GitHubRepository}:environment:production',
      ),
    'trust of DeployRole: .github/workflows/deploy.yml apply on main: refused',
  ],
  [
    'verify trusted for pull requests',
    (t: string) =>
      t.replace(
        '                  - !Sub repo:${GitHubRepository}:ref:refs/heads/main:ref:refs/heads/main:job_workflow_ref:${GitHubRepository}/.github/workflows/synthetics.yml@refs/heads/main\n',
        '                  - !Sub repo:${GitHubRepository}:ref:refs/heads/main:ref:refs/heads/main:job_workflow_ref:${GitHubRepository}/.github/workflows/synthetics.yml@refs/heads/main\n                  - !Sub repo:${GitHubRepository}:pull_request:ref:refs/pull/7/merge:job_workflow_ref:${GitHubRepository}/.github/workflows/plan.yml@refs/pull/7/merge\n',
      ),
    'trust of VerifyRole: .github/workflows/plan.yml plan on a pull request: accepted',
  ],
])('a broken copy is caught: %s', async (_name, edit, expected) => {
  const broken = edit(TEXT);
  expect(broken).not.toBe(TEXT);
  expect(await offChecks(broken)).toContain(expected);
});

test('settings: the subject template must be exactly the one the trust policies are written for', () => {
  const want = {
    repository: REPOSITORY,
    branch: 'main',
    environment: 'production',
    requiredChecks: ['plan'],
  };
  const env = {
    name: 'production',
    reviewers: 1,
    preventSelfReview: true,
    branchPolicy: { protectedBranches: false, customBranches: ['branch:main'] },
  };
  const base = { environment: env, branchProtection: { branch: 'main', requiredChecks: ['plan'] } };
  const ok = (keys: string[], useDefault = false) =>
    checkGitHubSettings({ ...base, oidcSubject: { useDefault, includeClaimKeys: keys } }, want).every(
      (c) => c.ok,
    );
  expect(ok([...SUBJECT_CLAIM_KEYS])).toBe(true);
  expect(ok(['repo', 'context'])).toBe(false);
  expect(ok([...SUBJECT_CLAIM_KEYS].reverse())).toBe(false);
  expect(ok([...SUBJECT_CLAIM_KEYS], true)).toBe(false);
  // Protected branches (any of them) is not "main only".
  const protectedOnly = checkGitHubSettings(
    {
      ...base,
      environment: { ...env, branchPolicy: { protectedBranches: true, customBranches: [] } },
      oidcSubject: { useDefault: false, includeClaimKeys: [...SUBJECT_CLAIM_KEYS] },
    },
    want,
  ).find((c) => c.setting.endsWith('deployment branches'));
  expect(protectedOnly).toMatchObject({ ok: false, actual: 'protected branches' });
});
