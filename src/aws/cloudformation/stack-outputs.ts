import type { AwsClientFactory } from '../client-factory.js';
import { describeStackState, type StackState } from './stack-state.js';
import { deployRegionOf, outputRegionOf, type OutputLookup } from '../../gitops/resolve-source.js';
import { stackName, type GitopsConfig, type RegionConfig, type ValueSource } from '../../gitops/types.js';

/**
 * The one place plan and apply read stack outputs from: DescribeStacks once per stack and run (regions
 * are planned and applied concurrently and read each other's outputs, the hub's above all), and the
 * outputs seen so far as the resolver's synchronous lookup. Apply records a stack's outputs again after
 * it changed it, so later stacks and the cluster variables see the new values.
 */
export class StackStateCache {
  private readonly states = new Map<string, Promise<StackState>>();
  private readonly outputs = new Map<string, Record<string, string>>();

  /** `extraRegions`: region configurations not under `config.regions` (the account stacks' stand-in). */
  constructor(
    private readonly factory: AwsClientFactory,
    private readonly extraRegions: RegionConfig[] = [],
  ) {}

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
  async prefetch(config: GitopsConfig, region: RegionConfig, sources: Iterable<ValueSource>): Promise<void> {
    const wanted = new Map<string, [string, string]>();
    for (const source of sources) {
      if (source.kind !== 'output') continue;
      const outRegion = outputRegionOf(source, region, config);
      wanted.set(`${outRegion}/${source.stack}`, [outRegion, source.stack]);
    }
    await Promise.all([...wanted.values()].map(([r, s]) => this.readStack(config, r, s)));
  }

  /** Read one stack of a region file (once); its outputs count only once it finished at least once. */
  async readStack(config: GitopsConfig, regionName: string, stack: string): Promise<void> {
    const key = `${regionName}/${stack}`;
    // Recorded after apply changed it: the cached DescribeStacks answer is older.
    if (this.outputs.has(key)) return;
    // The account stand-in may share its name with a region file: the one declaring the stack counts.
    const owner = [...this.extraRegions, ...config.regions].find(
      (r) => r.name === regionName && r.stacks.some((s) => s.name === stack),
    );
    const spec = owner?.stacks.find((s) => s.name === stack);
    if (!owner || !spec) return;
    const state = await this.state(
      deployRegionOf(spec, owner, config),
      stackName(config.platform.project, regionName, spec.name),
    );
    // Outputs only count from a stack that finished at least once (not one still in review).
    if (state.exists && !state.needsCreate && !this.outputs.has(key)) this.outputs.set(key, state.outputs);
  }

  /** The outputs of a stack as apply just left it (after executing or finding it unchanged). */
  record(regionName: string, stack: string, outputs: Record<string, string>): void {
    this.outputs.set(`${regionName}/${stack}`, outputs);
  }

  /** Outputs by (region file, stack) as read or recorded; undefined = known after apply. */
  lookup(): OutputLookup {
    return (region, stack) => this.outputs.get(`${region}/${stack}`);
  }
}
