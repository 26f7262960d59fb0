import { fetchBranch, gitStatus, resolveCommit, runGit } from '../git/git.js';
import { errorMessage } from '../util/errors.js';

/** Whether the checkout is the tip of the main branch, and how that was established. */
export type MainTipCheck = { ok: true; sha: string; how: string } | { ok: false; reason: string };

/**
 * `apply --account` runs only from the tip of main: (1) nothing under the gitops folder differs from
 * the commit (`git status --porcelain -- <gitops>`), (2) `git fetch origin <branch>` succeeds, and
 * (3) HEAD is exactly the fetched tip (`FETCH_HEAD`), so no local or unmerged commit can be applied.
 */
export async function checkMainTip(
  repoDir: string,
  branch: string,
  gitopsDir: string,
): Promise<MainTipCheck> {
  const head = await resolveCommit(repoDir, 'HEAD');
  if (!head) return { ok: false, reason: `${repoDir} is not a git checkout` };
  const dirty = await gitStatus(repoDir, gitopsDir).catch((e: unknown) => `(${errorMessage(e)})`);
  if (dirty) {
    return {
      ok: false,
      reason: `uncommitted changes under ${gitopsDir} (${dirty.split('\n').slice(0, 3).join('; ')}): only main's committed content is applied`,
    };
  }
  let tip: string;
  try {
    tip = await fetchBranch(repoDir, 'origin', branch);
  } catch (err) {
    return {
      ok: false,
      reason: `could not fetch origin ${branch} to compare with (${errorMessage(err).split('\n')[0]})`,
    };
  }
  if (tip !== head) {
    return {
      ok: false,
      reason: `HEAD ${head.slice(0, 12)} is not the tip of origin/${branch} (${tip.slice(0, 12)}): check out and pull ${branch}, then re-run`,
    };
  }
  return { ok: true, sha: head, how: `HEAD equals origin/${branch} just fetched, and ${gitopsDir} is clean` };
}

/**
 * The commit whose plan is the reference for `apply --account` on `head`: a merge commit's second
 * parent (the merged branch's head, where the pull request's plan ran), else `head` itself (a squash or
 * rebase merge leaves no trace of the branch: the reference is then a plan run on main's tip).
 */
export async function reviewedHeadOf(repoDir: string, head: string): Promise<{ sha: string; how: string }> {
  const parents = (await runGit(repoDir, ['rev-list', '--parents', '-n', '1', head])).split(/\s+/).slice(1);
  if (parents.length === 2)
    return { sha: parents[1]!, how: `the merged branch's head (second parent of ${head.slice(0, 12)})` };
  return { sha: head, how: `a plan on ${head.slice(0, 12)} itself (not a merge commit)` };
}
