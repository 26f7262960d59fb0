import { SUBJECT_CLAIM_KEYS, subjectFor, type SubjectClaims } from '../github/oidc-subject.js';
import type { RoleJob, RoleLogicalId } from '../github/workflow-roles.js';
import { evaluateWebIdentityTrust, type OidcProviderFact } from '../aws/iam/web-identity-trust.js';
import type { GitHubSettings } from './github-settings.js';

/** One setting: what the platform expects, what is there, and how to put it right. */
export interface DoctorCheck {
  setting: string;
  expected: string;
  actual: string;
  ok: boolean;
  fix?: string;
}

export interface DoctorExpectations {
  repository: string;
  branch: string;
  environment: string;
  /** Status checks branch protection must require (the CI jobs and the plan job, by name). */
  requiredChecks: string[];
}

const list = (items: readonly string[]) => (items.length ? items.join(', ') : '(none)');

/** Compares the repository's settings with what the trust policies and workflows rely on. */
export function checkGitHubSettings(settings: GitHubSettings, want: DoctorExpectations): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const [owner, repo] = want.repository.split('/');
  const sub = settings.oidcSubject;
  const subOk = !sub.useDefault && sub.includeClaimKeys.join(',') === SUBJECT_CLAIM_KEYS.join(',');
  checks.push({
    setting: 'OIDC subject template',
    expected: `include_claim_keys ${list(SUBJECT_CLAIM_KEYS)}`,
    actual: sub.useDefault
      ? "GitHub's default (repo, context)"
      : `include_claim_keys ${list(sub.includeClaimKeys)}`,
    ok: subOk,
    fix: subOk
      ? undefined
      : `coder-gitops doctor --fix (or: gh api -X PUT repos/${owner}/${repo}/actions/oidc/customization/sub ` +
        `-F use_default=false ${SUBJECT_CLAIM_KEYS.map((k) => `-f 'include_claim_keys[]=${k}'`).join(' ')})`,
  });
  const env = settings.environment;
  const settingsUrl = `https://github.com/${want.repository}/settings/environments`;
  checks.push({
    setting: `environment ${want.environment}: exists`,
    expected: 'exists',
    actual: env ? 'exists' : 'missing',
    ok: Boolean(env),
    fix: env ? undefined : `create it: ${settingsUrl} → New environment → ${want.environment}`,
  });
  const reviewersOk = (env?.reviewers ?? 0) >= 1 && Boolean(env?.preventSelfReview);
  checks.push({
    setting: `environment ${want.environment}: required reviewers`,
    expected: 'at least 1, self-review prevented',
    actual: env
      ? `${env.reviewers}${env.preventSelfReview ? ', self-review prevented' : ', self-review allowed'}`
      : '-',
    ok: reviewersOk,
    fix: reviewersOk
      ? undefined
      : `${settingsUrl} → ${want.environment} → Required reviewers, Prevent self-review`,
  });
  const policy = env?.branchPolicy;
  const branchOk =
    policy !== undefined &&
    policy !== null &&
    !policy.protectedBranches &&
    policy.customBranches.length === 1 &&
    policy.customBranches[0] === `branch:${want.branch}`;
  checks.push({
    setting: `environment ${want.environment}: deployment branches`,
    expected: `only ${want.branch}`,
    actual: !env
      ? '-'
      : policy === null || policy === undefined
        ? 'any branch'
        : policy.protectedBranches
          ? 'protected branches'
          : list(policy.customBranches),
    ok: branchOk,
    fix: branchOk
      ? undefined
      : `${settingsUrl} → ${want.environment} → Deployment branches and tags → Selected branches → ${want.branch} only`,
  });
  const protection = settings.branchProtection;
  const missing = want.requiredChecks.filter((c) => !protection?.requiredChecks.includes(c));
  checks.push({
    setting: `branch ${want.branch}: required status checks`,
    expected: list(want.requiredChecks),
    actual: protection ? list(protection.requiredChecks) : 'branch not protected',
    ok: missing.length === 0,
    fix: missing.length
      ? `https://github.com/${want.repository}/settings/branches → ${want.branch} → Require status checks: ${list(missing)}`
      : undefined,
  });
  return checks;
}

/** One job's subject, on the branch or pull request given. */
function claimsOf(
  repository: string,
  job: RoleJob,
  run: RoleJob['runsOn'][number],
  ref: string,
): SubjectClaims {
  return { repository, context: run.context, ref, workflowPath: job.workflowPath };
}

/** The GitHub provider the trust policies name (github-oidc.yaml's GitHubOidcProvider). */
export const GITHUB_OIDC_PROVIDER: Omit<OidcProviderFact, 'arn'> = {
  url: 'token.actions.githubusercontent.com',
  clientIds: ['sts.amazonaws.com'],
};

/**
 * The trust policies against the subject template and the workflows: each role accepts the subjects of
 * exactly the jobs that assume it, from the default branch (or from pull requests where the workflow
 * runs on them), and refuses the same jobs run from another branch and every other job's subject.
 */
export function checkTrustPolicies(
  trust: Record<RoleLogicalId, unknown>,
  provider: OidcProviderFact,
  jobs: RoleJob[],
  want: Pick<DoctorExpectations, 'repository' | 'branch'>,
): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const trustAccepts = (trustPolicy: unknown, sub: string) =>
    evaluateWebIdentityTrust({
      trustPolicy,
      claims: { iss: `https://${provider.url}`, aud: provider.clientIds[0] ?? 'sts.amazonaws.com', sub },
      providers: [provider],
    }).allowed;
  const mainRef = `refs/heads/${want.branch}`;
  const probes: { label: string; sub: string; job: RoleJob; legitimate: boolean }[] = [];
  for (const job of jobs) {
    for (const run of job.runsOn) {
      const ref = run.onPullRequest ? 'refs/pull/7/merge' : mainRef;
      const where = run.onPullRequest ? 'a pull request' : want.branch;
      probes.push({
        label: `${job.workflowPath} ${job.job} on ${where}`,
        sub: subjectFor(claimsOf(want.repository, job, run, ref)),
        job,
        legitimate: true,
      });
      if (!run.onPullRequest) {
        probes.push({
          label: `${job.workflowPath} ${job.job} on another branch`,
          sub: subjectFor(claimsOf(want.repository, job, run, 'refs/heads/feature')),
          job,
          legitimate: false,
        });
      }
    }
  }
  // A pull request's workflow can declare any environment; the same job shape from a pull request's ref.
  for (const job of jobs.filter((j) => !j.runsOn.some((r) => r.onPullRequest))) {
    probes.push({
      label: `${job.workflowPath} ${job.job} as a pull request declaring its environment`,
      sub: subjectFor({
        repository: want.repository,
        context: job.runsOn[0]?.context ?? { kind: 'pull_request' },
        ref: 'refs/pull/7/merge',
        workflowPath: job.workflowPath,
      }),
      job,
      legitimate: false,
    });
  }
  // The subject names the workflow file, not the job: two jobs of one workflow on main share a subject,
  // so a role accepting one accepts the other (both are main's own code).
  const legitimateSubs = (role: RoleLogicalId) =>
    new Set(probes.filter((p) => p.legitimate && p.job.role === role).map((p) => p.sub));
  for (const role of Object.keys(trust) as RoleLogicalId[]) {
    const statements = trust[role];
    const own = legitimateSubs(role);
    for (const probe of probes) {
      const shouldAccept = own.has(probe.sub);
      const accepts = trustAccepts(statements, probe.sub);
      if (accepts === shouldAccept && !shouldAccept) continue; // refusals that hold are not listed one by one
      if (accepts && shouldAccept && probe.job.role !== role) continue; // a sibling job's shared subject
      checks.push({
        setting: `trust of ${role}: ${probe.label}`,
        expected: shouldAccept ? 'accepted' : 'refused',
        actual: accepts ? 'accepted' : 'refused',
        ok: accepts === shouldAccept,
        fix:
          accepts === shouldAccept
            ? undefined
            : `gitops/stacks/github-oidc.yaml ${role}: ${shouldAccept ? 'accept' : 'stop accepting'} sub ${probe.sub}`,
      });
    }
    const refused = probes.filter((p) => !own.has(p.sub));
    if (refused.every((p) => !trustAccepts(statements, p.sub))) {
      checks.push({
        setting: `trust of ${role}: every other job and branch`,
        expected: 'refused',
        actual: `refused (${refused.length} subjects tried)`,
        ok: true,
      });
    }
  }
  return checks;
}
