import type { AwsClientFactory } from '../aws/client-factory.js';
import { describeStackState, type StackState } from '../aws/cloudformation/stack-state.js';
import { deployRegionOf, outputRegionOf, type OutputLookup } from '../gitops/resolve-source.js';
import { stackName, type GitopsConfig, type RegionConfig, type ValueSource } from '../gitops/types.js';

/**
 * DescribeStacks once per stack and run (regions are planned concurrently and read each other's
 * outputs, the hub's above all), and the outputs seen so far as the resolver's synchronous lookup.
 */
export class StackStateCache {
  private readonly states = new Map<string, Promise<StackState>>();
  private readonly outputs = new Map<string, Record<string, string>>();

  constructor(private readonly factory: AwsClientFactory) {}

  /** The deployed state of a stack (cached; concurrent callers share one call). */
  state(deployRegion: string, name: string): Promise<StackState> {
    const key = `${deployRegion}/${name}`;
    let hit = this.states.get(key);
    if (!hit) {
      hit = describeStackState(this.factory.cloudFormation(deployRegion), name);
      // A failed describe is not cached: the next caller tries again and sees the error itself.
      hit.catch(() => this.states.delete(key));
      this.states.set(key, hit);
    }
    return hit;
  }

  /** Read the stacks the `{ output }` sources of a region point at, so {@link lookup} can answer. */
  async prefetch(config: GitopsConfig, region: RegionConfig, sources: ValueSource[]): Promise<void> {
    await Promise.all(
      sources.map(async (source) => {
        if (source.kind !== 'output') return;
        const outRegion = outputRegionOf(source, region, config);
        const owner = config.regions.find((r) => r.name === outRegion);
        const spec = owner?.stacks.find((s) => s.name === source.stack);
        if (!owner || !spec) return;
        const state = await this.state(
          deployRegionOf(spec, owner, config),
          stackName(config.platform.project, outRegion, spec.name),
        );
        // Outputs only count from a stack that finished at least once (not one still in review).
        if (state.exists && !state.needsCreate) this.outputs.set(`${outRegion}/${spec.name}`, state.outputs);
      }),
    );
  }

  /** Outputs by (region file, stack) as prefetched; undefined = known after apply. */
  lookup(): OutputLookup {
    return (region, stack) => this.outputs.get(`${region}/${stack}`);
  }
}
