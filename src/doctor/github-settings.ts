import type { Octokit } from '@octokit/rest';
import { errorMessage } from '../util/errors.js';

/** The repository settings the platform's trust rests on, as GitHub reports them (undefined: not set). */
export interface GitHubSettings {
  oidcSubject: { useDefault: boolean; includeClaimKeys: string[] };
  /** undefined when the environment does not exist. */
  environment?: {
    name: string;
    reviewers: number;
    preventSelfReview: boolean;
    /** null: any branch may deploy. */
    branchPolicy: null | { protectedBranches: boolean; customBranches: string[] };
  };
  /** undefined when the branch is not protected. */
  branchProtection?: { branch: string; requiredChecks: string[] };
}

function status(err: unknown): number | undefined {
  return (err as { status?: number }).status;
}

/** Reads the OIDC subject template, the environment and the default branch's protection. */
export async function readGitHubSettings(
  octokit: Octokit,
  repository: string,
  environmentName: string,
  branch: string,
): Promise<GitHubSettings> {
  const [owner = '', repo = ''] = repository.split('/');
  const fail = (what: string, err: unknown) =>
    new Error(`could not read ${what} of ${repository}: ${errorMessage(err)}`, { cause: err });
  let oidcSubject: GitHubSettings['oidcSubject'];
  try {
    const { data } = await octokit.rest.actions.getCustomOidcSubClaimForRepo({ owner, repo });
    oidcSubject = { useDefault: data.use_default, includeClaimKeys: data.include_claim_keys ?? [] };
  } catch (err) {
    throw fail('the OIDC subject template', err);
  }
  let environment: GitHubSettings['environment'];
  try {
    const { data } = await octokit.rest.repos.getEnvironment({
      owner,
      repo,
      environment_name: environmentName,
    });
    const reviewersRule = (data.protection_rules ?? []).find((r) => r.type === 'required_reviewers') as
      { reviewers?: unknown[]; prevent_self_review?: boolean } | undefined;
    let branchPolicy: NonNullable<GitHubSettings['environment']>['branchPolicy'] = null;
    if (data.deployment_branch_policy) {
      const customBranches: string[] = [];
      if (data.deployment_branch_policy.custom_branch_policies) {
        const policies = await octokit.rest.repos.listDeploymentBranchPolicies({
          owner,
          repo,
          environment_name: environmentName,
          per_page: 100,
        });
        for (const p of policies.data.branch_policies) {
          customBranches.push(`${p.type === 'tag' ? 'tag' : 'branch'}:${p.name ?? ''}`);
        }
      }
      branchPolicy = { protectedBranches: data.deployment_branch_policy.protected_branches, customBranches };
    }
    environment = {
      name: data.name,
      reviewers: reviewersRule?.reviewers?.length ?? 0,
      preventSelfReview: reviewersRule?.prevent_self_review ?? false,
      branchPolicy,
    };
  } catch (err) {
    if (status(err) !== 404) throw fail(`the ${environmentName} environment`, err);
  }
  let branchProtection: GitHubSettings['branchProtection'];
  try {
    const { data } = await octokit.rest.repos.getBranchProtection({ owner, repo, branch });
    const checks = data.required_status_checks;
    const names = new Set([...(checks?.contexts ?? []), ...(checks?.checks ?? []).map((c) => c.context)]);
    branchProtection = { branch, requiredChecks: [...names].sort() };
  } catch (err) {
    if (status(err) !== 404) throw fail(`the protection of ${branch}`, err);
  }
  return { oidcSubject, environment, branchProtection };
}

/** Sets the repository's OIDC subject template (the one setting the doctor may fix itself). */
export async function writeOidcSubjectTemplate(
  octokit: Octokit,
  repository: string,
  includeClaimKeys: readonly string[],
): Promise<void> {
  const [owner = '', repo = ''] = repository.split('/');
  try {
    await octokit.rest.actions.setCustomOidcSubClaimForRepo({
      owner,
      repo,
      use_default: false,
      include_claim_keys: [...includeClaimKeys],
    });
  } catch (err) {
    throw new Error(`could not set the OIDC subject template of ${repository}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}
