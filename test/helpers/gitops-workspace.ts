import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './run-action.js';

export interface GitopsWorkspace {
  /** Repository root (GITHUB_WORKSPACE). */
  dir: string;
  gitopsDir: string;
  baseSha: string;
  headSha: string;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    },
  }).trim();
}

/**
 * A throwaway repository holding a copy of the real gitops/: a base commit, then `change` applied to
 * the copy as the head commit (what a pull request would bring).
 */
export function makeGitopsWorkspace(
  change: (gitopsDir: string) => void = () => undefined,
  /** Applied to the copy before the base commit (main as a test needs it: local sources, say). */
  base: (gitopsDir: string) => void = () => undefined,
): GitopsWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'cg-ws-'));
  const gitopsDir = join(dir, 'gitops');
  cpSync(join(REPO_ROOT, 'gitops'), gitopsDir, { recursive: true });
  base(gitopsDir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  const baseSha = git(dir, 'rev-parse', 'HEAD');
  change(gitopsDir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'head');
  return { dir, gitopsDir, baseSha, headSha: git(dir, 'rev-parse', 'HEAD') };
}
