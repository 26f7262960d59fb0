import { mkdtemp } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { checkoutBase } from './base-checkout.js';
import { changedFiles } from '../gitops/changed-regions.js';

export interface PlanBase {
  /** The gitops folder as it was at the base revision. */
  baseDir: string;
  /** Files changed base...head, relative to the repository root. */
  changedFiles: string[];
  /** The gitops folder relative to the repository root. */
  gitopsPath: string;
}

/** What the plan compares against: the base revision's gitops folder and the files changed since. */
export async function preparePlanBase(opts: {
  repoDir: string;
  gitopsDir: string;
  baseRef: string;
  headRef: string;
  tmpDir: string;
}): Promise<PlanBase> {
  const gitopsPath = relative(opts.repoDir, opts.gitopsDir) || '.';
  const work = await mkdtemp(join(opts.tmpDir, 'coder-gitops-base-'));
  const [baseDir, files] = await Promise.all([
    checkoutBase(opts.repoDir, opts.baseRef, work, gitopsPath),
    changedFiles(opts.repoDir, opts.baseRef, opts.headRef),
  ]);
  return { baseDir, changedFiles: files, gitopsPath };
}
