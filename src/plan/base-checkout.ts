import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { existsAtCommit, isSafeRevision, resolveCommit, spawnGit, spawnTool } from '../git/git.js';
import { InputError } from '../util/errors.js';

/**
 * Extract the gitops folder of `baseRef` into `tmpDir` (`git archive <ref> <gitopsPath> | tar -x`; no
 * network, no worktree state) and return its path there. When the folder did not exist at the base
 * revision the returned folder is empty: everything at head is new.
 */
export async function checkoutBase(
  repoDir: string,
  baseRef: string,
  tmpDir: string,
  gitopsPath = 'gitops',
): Promise<string> {
  if (!isSafeRevision(baseRef)) throw new InputError('base-ref', `not a git revision: '${baseRef}'`);
  const rel =
    gitopsPath
      .replace(/\\/g, '/')
      .replace(/^\.\/+/, '')
      .replace(/\/+$/, '') || '.';
  const target = path.join(tmpDir, rel);
  await mkdir(tmpDir, { recursive: true });
  if (!(await existsAtCommit(repoDir, baseRef, rel === '.' ? '' : rel))) {
    if (!(await resolveCommit(repoDir, baseRef))) {
      throw new InputError(
        'base-ref',
        `${baseRef} is not a commit in ${repoDir} (a shallow checkout needs fetch-depth: 0 or the base commit fetched)`,
      );
    }
    await mkdir(target, { recursive: true });
    return target;
  }
  const archive = spawnGit(repoDir, ['archive', '--format=tar', baseRef, '--', rel]);
  const tar = spawnTool('tar', ['-x', '-f', '-', '-C', tmpDir], tmpDir);
  archive.proc.stdout!.pipe(tar.proc.stdin!);
  try {
    await Promise.all([archive.done, tar.done]);
  } catch (err) {
    throw new InputError('base-ref', `could not extract ${rel} at ${baseRef}: ${(err as Error).message}`);
  }
  return target;
}
