import type { StackStateCache } from '../aws/cloudformation/stack-outputs.js';
import { resolveClusterVars } from '../gitops/resolve-source.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import type { RegionOutputs } from './apply-types.js';

/** A region's stack outputs and its `cluster-vars`, from the shared outputs (read once per stack). */
export async function readRegionOutputs(
  outputs: StackStateCache,
  config: GitopsConfig,
  region: RegionConfig,
): Promise<RegionOutputs> {
  await outputs.prefetch(config, region, Object.values(region.clusterVars));
  for (const s of region.stacks) await outputs.readStack(config, region.name, s.name);
  const lookup = outputs.lookup();
  const stacks: Record<string, Record<string, string>> = {};
  for (const s of region.stacks) {
    const o = lookup(region.name, s.name);
    if (o) stacks[s.name] = o;
  }
  const clusterVars: Record<string, string> = {};
  const unresolved: Record<string, string> = {};
  if (Object.keys(region.clusterVars).length > 0) {
    for (const [k, r] of Object.entries(resolveClusterVars(region, { config, outputs: lookup }))) {
      if (r.known) clusterVars[k] = r.value;
      else unresolved[k] = r.reason;
    }
  }
  return { stacks, clusterVars, unresolvedClusterVars: unresolved };
}
