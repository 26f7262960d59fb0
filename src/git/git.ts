import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { errorMessage } from '../util/errors.js';

// The one place that starts git (lint forbids child_process and `git` spawns elsewhere in src/): every
// caller gets the same error shape (the arguments and git's own stderr), the same output limit and the
// same rule that a revision starting with '-' is never passed (git would read it as an option).

const execFileAsync = promisify(execFile);

/** A git command that exited non-zero: its arguments and git's stderr, the message's last lines of it. */
export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

export interface GitOptions {
  /** Environment for git (default: this process's); credentials go through GIT_CONFIG_*, never argv. */
  env?: NodeJS.ProcessEnv;
}

/** Run `git <args>` in `cwd`; its stdout trimmed. Throws GitError with git's stderr. */
export async function runGit(cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, {
      cwd,
      env: opts.env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (err) {
    throw new GitError(args, String((err as { stderr?: string }).stderr ?? errorMessage(err)));
  }
}

/** Start `git <args>` with piped stdio (for streaming, e.g. `git archive` into tar); `done` settles on exit. */
export function spawnGit(cwd: string, args: string[]): { proc: ChildProcess; done: Promise<void> } {
  return spawnTool('git', args, cwd);
}

/** Start a non-git tool that a git stream feeds (tar reading `git archive`); `done` rejects with its stderr. */
export function spawnTool(
  cmd: 'git' | 'tar',
  args: string[],
  cwd: string,
): { proc: ChildProcess; done: Promise<void> } {
  const proc = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(stderr.trim() || `${cmd} exited ${code}`)),
    );
  });
  return { proc, done };
}

/** True when `ref` may be handed to git as a revision (not empty, not option-like). */
export function isSafeRevision(ref: string): boolean {
  return ref !== '' && !ref.startsWith('-');
}

/** The commit `rev` names in `cwd` (`git rev-parse --verify --quiet <rev>^{commit}`), or '' when none. */
export async function resolveCommit(cwd: string, rev: string): Promise<string> {
  if (!isSafeRevision(rev)) return '';
  return runGit(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).catch(() => '');
}

/** The commit checked out in `dir` ('' outside a git repository). */
export async function gitHead(dir: string): Promise<string> {
  return runGit(dir, ['rev-parse', 'HEAD']).catch(() => '');
}

/** The repository root containing `dir` (or `dir` itself outside a repository). */
export async function gitRoot(dir: string): Promise<string> {
  return runGit(dir, ['rev-parse', '--show-toplevel']).catch(() => dir);
}

/** `git status --porcelain -- <path>`: the uncommitted changes under `path` ('' when clean). */
export async function gitStatus(repoDir: string, path: string): Promise<string> {
  return runGit(repoDir, ['status', '--porcelain', '--', path]);
}

/** `git fetch --quiet <remote> <branch>`; returns the fetched commit (FETCH_HEAD). */
export async function fetchBranch(repoDir: string, remote: string, branch: string): Promise<string> {
  if (!isSafeRevision(branch) || !isSafeRevision(remote))
    throw new GitError(['fetch', remote, branch], 'not a remote and branch name');
  await runGit(repoDir, ['fetch', '--quiet', remote, branch]);
  return runGit(repoDir, ['rev-parse', 'FETCH_HEAD']);
}

/** Whether `path` (relative to the repository root; '' for the root) exists at commit `rev`. */
export async function existsAtCommit(repoDir: string, rev: string, path: string): Promise<boolean> {
  if (!isSafeRevision(rev)) return false;
  return runGit(repoDir, ['cat-file', '-e', `${rev}:${path}`]).then(
    () => true,
    () => false,
  );
}

/** Files changed between the merge base of `base` and `head` (`git diff --name-only base...head`), renames as both names. */
export async function diffNames(repoDir: string, base: string, head: string): Promise<string[]> {
  const out = await runGit(repoDir, [
    '-c',
    'core.quotepath=off',
    'diff',
    '--name-only',
    '--no-renames',
    `${base}...${head}`,
    '--',
  ]);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
