import type { Octokit } from '@octokit/rest';
import { errorMessage } from '../util/errors.js';

export interface MergedPullRequest {
  number: number;
  /** The head commit the pull request was planned (and reviewed) at. */
  headSha: string;
  title: string;
  url: string;
  mergedAt?: string;
}

/**
 * The pull request merged into this commit (the commits API's associated pull requests): the one
 * whose merge commit is `sha`, else the one merged most recently; undefined for a direct push.
 */
export async function findMergedPullRequest(
  octokit: Octokit,
  ref: { owner: string; repo: string; sha: string },
): Promise<MergedPullRequest | undefined> {
  let pulls;
  try {
    pulls = await octokit.paginate(octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
      owner: ref.owner,
      repo: ref.repo,
      commit_sha: ref.sha,
      per_page: 100,
    });
  } catch (err) {
    throw new Error(
      `could not find the pull request merged as ${ref.sha.slice(0, 12)} in ${ref.owner}/${ref.repo}: ${errorMessage(err)}`,
    );
  }
  const merged = pulls.filter((p) => p.merged_at);
  const pick =
    merged.find((p) => p.merge_commit_sha === ref.sha) ??
    merged.sort((a, b) => (b.merged_at ?? '').localeCompare(a.merged_at ?? ''))[0];
  if (!pick) return undefined;
  return {
    number: pick.number,
    headSha: pick.head.sha,
    title: pick.title,
    url: pick.html_url,
    mergedAt: pick.merged_at ?? undefined,
  };
}
