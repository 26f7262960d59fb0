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
