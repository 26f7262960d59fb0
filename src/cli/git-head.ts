import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The commit checked out in `dir` ('' outside a git repository). */
export async function gitHead(dir: string): Promise<string> {
  try {
    return (await run('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
  } catch {
    return '';
  }
}

/** The repository root containing `dir` (or `dir` itself outside a repository). */
export async function gitRoot(dir: string): Promise<string> {
  try {
    return (await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir })).stdout.trim();
  } catch {
    return dir;
  }
}

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
  const git = async (...args: string[]) => (await run('git', args, { cwd: repoDir })).stdout.trim();
  const head = await git('rev-parse', 'HEAD').catch(() => '');
  if (!head) return { ok: false, reason: `${repoDir} is not a git checkout` };
  const dirty = await git('status', '--porcelain', '--', gitopsDir).catch((e: unknown) => `(${String(e)})`);
  if (dirty) {
    return {
      ok: false,
      reason: `uncommitted changes under ${gitopsDir} (${dirty.split('\n').slice(0, 3).join('; ')}): only main's committed content is applied`,
    };
  }
  try {
    await git('fetch', '--quiet', 'origin', branch);
  } catch (err) {
    return {
      ok: false,
      reason: `could not fetch origin ${branch} to compare with (${String((err as Error).message ?? err).split('\n')[0]})`,
    };
  }
  const tip = await git('rev-parse', 'FETCH_HEAD');
  if (tip !== head) {
    return {
      ok: false,
      reason: `HEAD ${head.slice(0, 12)} is not the tip of origin/${branch} (${tip.slice(0, 12)}): check out and pull ${branch}, then re-run`,
    };
  }
  return { ok: true, sha: head, how: `HEAD equals origin/${branch} just fetched, and ${gitopsDir} is clean` };
}
