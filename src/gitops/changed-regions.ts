import path from 'node:path';
import { diffNames, GitError, isSafeRevision } from '../git/git.js';
import { readFluxTree } from './flux-files.js';
import type { GitopsConfig } from './types.js';
import { InputError, errorMessage } from '../util/errors.js';

/** Files changed between the merge base of `baseRef` and `headRef` (`git diff --name-only base...head`), renames as both names. */
export async function changedFiles(repoDir: string, baseRef: string, headRef = 'HEAD'): Promise<string[]> {
  for (const ref of [baseRef, headRef]) {
    // A ref starting with '-' would be read as an option by git.
    if (!isSafeRevision(ref)) throw new InputError('base-ref', `not a git revision: '${ref}'`);
  }
  try {
    return await diffNames(repoDir, baseRef, headRef);
  } catch (err) {
    const stderr = err instanceof GitError ? err.stderr.trim() : '';
    throw new InputError(
      'base-ref',
      `could not compare ${baseRef}...${headRef} in ${repoDir}: ${stderr || errorMessage(err)} (a shallow checkout needs fetch-depth: 0 or the base commit fetched)`,
    );
  }
}

export interface RegionsTouched {
  /** Region names in configuration order (wave, then name). */
  regions: string[];
  /** Whether an account-level stack (github-oidc) is touched. */
  account: boolean;
  /** Why each region (and `account`) is touched: the changed files. */
  reasons: Record<string, string[]>;
}

/**
 * Which regions a set of changed files touches: `clusters/<r>/` and `regions/<r>.yaml` touch r;
 * `stacks/<t>.yaml` every region (and the account) using template t; `infrastructure/` and `apps/`
 * every region whose Flux Kustomizations build the file; `platform.yaml` everything.
 * `files` are relative to the repository root; `gitopsDirRelative` is the gitops folder in it.
 */
export function regionsTouched(
  files: string[],
  config: GitopsConfig,
  gitopsDirRelative: string,
): RegionsTouched {
  const prefix = normalizeDir(gitopsDirRelative);
  const regionNames = config.regions.map((r) => r.name);
  const touched = new Map<string, Set<string>>();
  const touch = (key: string, file: string): void => {
    if (!touched.has(key)) touched.set(key, new Set());
    touched.get(key)!.add(file);
  };
  let fluxIndex: Map<string, FluxInputs> | undefined;

  for (const file of files) {
    const norm = file.replace(/\\/g, '/');
    if (prefix && !norm.startsWith(`${prefix}/`)) continue;
    const rel = prefix ? norm.slice(prefix.length + 1) : norm;
    const parts = rel.split('/');
    const top = parts[0];
    if (rel === '.sourceignore') {
      // It decides what the Flux artifact of every region contains.
      regionNames.forEach((r) => touch(r, file));
    } else if (rel === 'platform.yaml') {
      regionNames.forEach((r) => touch(r, file));
      touch('account', file);
    } else if (top === 'clusters' && parts.length >= 3) {
      if (regionNames.includes(parts[1]!)) touch(parts[1]!, file);
    } else if (top === 'regions' && parts.length === 2) {
      const r = parts[1]!.replace(/\.ya?ml$/, '');
      if (regionNames.includes(r)) touch(r, file);
    } else if (top === 'stacks' && parts.length === 2) {
      const t = parts[1]!.replace(/\.ya?ml$/, '');
      for (const region of config.regions)
        if (region.stacks.some((s) => s.template === t)) touch(region.name, file);
      if (config.platform.account.stacks.some((s) => s.template === t)) touch('account', file);
    } else if (top === 'infrastructure' || top === 'apps') {
      fluxIndex ??= indexFluxInputs(config);
      const abs = path.resolve(config.dir, rel);
      for (const [region, inputs] of fluxIndex) if (inputs.covers(abs)) touch(region, file);
    }
  }

  const reasons: Record<string, string[]> = {};
  for (const [k, v] of touched) reasons[k] = [...v].sort();
  return {
    regions: regionNames.filter((r) => touched.has(r)),
    account: touched.has('account'),
    reasons,
  };
}

interface FluxInputs {
  covers(abs: string): boolean;
}

function indexFluxInputs(config: GitopsConfig): Map<string, FluxInputs> {
  const out = new Map<string, FluxInputs>();
  for (const region of config.regions) {
    const tree = readFluxTree(config.dir, region.name);
    const files = new Set<string>();
    const dirs = new Set<string>();
    const generated: string[] = [];
    const repoRoot = path.dirname(path.resolve(config.dir));
    for (const k of tree.kustomizations) {
      // The folder spec.path names holds the kustomization.yaml that is not itself among the built files.
      if (k.specPath) dirs.add(path.resolve(repoRoot, k.specPath));
      for (const f of k.files) {
        files.add(path.resolve(f));
        dirs.add(path.dirname(path.resolve(f)));
      }
      generated.push(...k.generatedDirs.map((d) => path.resolve(d)));
    }
    out.set(region.name, {
      // A file deleted at head is no longer built: its folder still tells where it belonged.
      covers: (abs) =>
        files.has(abs) || dirs.has(path.dirname(abs)) || generated.some((d) => abs.startsWith(d + path.sep)),
    });
  }
  return out;
}

function normalizeDir(d: string): string {
  const n = d
    .replace(/\\/g, '/')
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  // The gitops folder may be the repository root itself.
  return n === '.' ? '' : n;
}
