import { relative } from 'node:path';
import { changedFiles, regionsTouched } from './changed-regions.js';
import { InputError } from '../util/errors.js';
import type { RegionSelection } from '../util/inputs.js';
import type { GitopsConfig } from './types.js';

export interface RegionChoice {
  /** Region names, in configuration order (wave, then name). */
  regions: string[];
  /** Whether the account-level stacks are touched (only meaningful for `changed`). */
  account: boolean;
  /** Why each region was chosen, for the log. */
  why: string;
}

const ZERO_SHA = /^0+$/;

/**
 * Expand a region selection: a list (checked against regions/), `all` (every region declared), or
 * `changed` (regions the files between `base` and `head` touch; everything when there is no base).
 */
export async function selectRegions(
  config: GitopsConfig,
  selection: RegionSelection,
  opts: { input: string; repoDir: string; base?: string; head?: string },
): Promise<RegionChoice> {
  const known = config.regions.map((r) => r.name);
  if (selection.kind === 'list') {
    const unknown = selection.regions.filter((r) => !known.includes(r));
    if (unknown.length) {
      throw new InputError(opts.input, `${unknown.join(', ')} not in ${config.dir}/regions (known: ${known.join(', ')})`);
    }
    return {
      regions: known.filter((r) => selection.regions.includes(r)),
      account: false,
      why: 'named',
    };
  }
  // Every declared region: the engines skip the stacks of a region that is switched off and drain it.
  if (selection.kind === 'all' || !opts.base || ZERO_SHA.test(opts.base)) {
    return {
      regions: known,
      account: selection.kind === 'changed',
      why: selection.kind === 'all' ? 'every region' : 'no base commit to compare with: every region',
    };
  }
  const files = await changedFiles(opts.repoDir, opts.base, opts.head ?? 'HEAD');
  const touched = regionsTouched(files, config, relative(opts.repoDir, config.dir) || '.');
  return {
    regions: touched.regions,
    account: touched.account,
    why: `changed between ${opts.base.slice(0, 12)} and ${(opts.head ?? 'HEAD').slice(0, 12)}: ${
      touched.regions.length ? touched.regions.join(', ') : 'no region'
    }`,
  };
}
