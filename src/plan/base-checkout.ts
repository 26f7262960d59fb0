import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';

function run(
  cmd: string,
  args: string[],
  cwd: string,
): { proc: ReturnType<typeof spawn>; done: Promise<string> } {
  const proc = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) =>
      code === 0 ? resolve(stderr) : reject(new Error(stderr.trim() || `${cmd} exited ${code}`)),
    );
  });
  return { proc, done };
}

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
  if (!baseRef || baseRef.startsWith('-'))
    throw new InputError('base-ref', `not a git revision: '${baseRef}'`);
  const rel =
    gitopsPath
      .replace(/\\/g, '/')
      .replace(/^\.\/+/, '')
      .replace(/\/+$/, '') || '.';
  const target = path.join(tmpDir, rel);
  await mkdir(tmpDir, { recursive: true });
  const exists = run('git', ['cat-file', '-e', `${baseRef}:${rel === '.' ? '' : rel}`], repoDir);
  try {
    await exists.done;
  } catch (err) {
    const resolves = run('git', ['rev-parse', '--verify', '--quiet', `${baseRef}^{commit}`], repoDir);
    const known = await resolves.done.then(
      () => true,
      () => false,
    );
    if (!known) {
      throw new InputError(
        'base-ref',
        `${baseRef} is not a commit in ${repoDir} (a shallow checkout needs fetch-depth: 0 or the base commit fetched): ${(err as Error).message}`,
      );
    }
    await mkdir(target, { recursive: true });
    return target;
  }
  const archive = run('git', ['archive', '--format=tar', baseRef, '--', rel], repoDir);
  const tar = run('tar', ['-x', '-f', '-', '-C', tmpDir], tmpDir);
  archive.proc.stdout!.pipe(tar.proc.stdin!);
  try {
    await Promise.all([archive.done, tar.done]);
  } catch (err) {
    throw new InputError('base-ref', `could not extract ${rel} at ${baseRef}: ${(err as Error).message}`);
  }
  return target;
}
