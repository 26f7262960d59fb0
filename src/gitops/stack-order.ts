import { ConfigurationError } from '../util/errors.js';
import type { GitopsConfig, RegionConfig, StackSpec } from './types.js';

/** Names of this region's stacks a stack must follow: `dependsOn` plus same-region `{ output }` sources. */
export function stackDependencies(stack: StackSpec, region: RegionConfig): string[] {
  const deps = new Set(stack.dependsOn);
  for (const source of Object.values(stack.parameters)) {
    if (source.kind !== 'output') continue;
    const sameRegion =
      source.region === undefined || source.region === region.name || (source.region === 'hub' && region.role === 'hub');
    if (sameRegion) deps.add(source.stack);
  }
  deps.delete(stack.name);
  return [...deps];
}

/** The region's stacks in apply order (dependencies first, otherwise as declared); a cycle is a ConfigurationError. */
export function orderStacks(region: RegionConfig): StackSpec[] {
  const byName = new Map(region.stacks.map((s) => [s.name, s]));
  const deps = new Map(
    region.stacks.map((s) => [s.name, stackDependencies(s, region).filter((d) => byName.has(d))]),
  );
  const done = new Set<string>();
  const ordered: StackSpec[] = [];
  while (ordered.length < region.stacks.length) {
    // The first declared stack whose dependencies are all placed keeps the file's order where it can.
    const next = region.stacks.find((s) => !done.has(s.name) && (deps.get(s.name) ?? []).every((d) => done.has(d)));
    if (!next) throw cycleError(region, deps, done);
    done.add(next.name);
    ordered.push(next);
  }
  return ordered;
}

function cycleError(region: RegionConfig, deps: Map<string, string[]>, done: Set<string>): ConfigurationError {
  // Walk unplaced dependencies from any unplaced stack until a name repeats: that loop is the cycle.
  const start = region.stacks.find((s) => !done.has(s.name))!.name;
  const path: string[] = [];
  let current = start;
  while (!path.includes(current)) {
    path.push(current);
    current = (deps.get(current) ?? []).find((d) => !done.has(d))!;
  }
  const cycle = [...path.slice(path.indexOf(current)), current];
  const index = region.stacks.findIndex((s) => s.name === current);
  return new ConfigurationError(
    `stacks depend on each other in a cycle: ${cycle.join(' → ')} (via dependsOn or { output } sources); ` +
      'one of them must not need the other',
    { file: region.file, line: region.stacks[index]?.line, path: `stacks[${index}]` },
  );
}

/** The given regions in rollout waves (ascending), the hub first within its wave, then by name. */
export function orderRegions(config: GitopsConfig): RegionConfig[][] {
  const waves = new Map<number, RegionConfig[]>();
  for (const region of config.regions) {
    const wave = waves.get(region.wave) ?? [];
    wave.push(region);
    waves.set(region.wave, wave);
  }
  return [...waves.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, regions]) =>
      regions.sort(
        (a, b) =>
          Number(b.name === config.platform.hubRegion) - Number(a.name === config.platform.hubRegion) ||
          a.name.localeCompare(b.name),
      ),
    );
}

/** A region's stacks as a graph: apply order (a valid topological order) and each stack's same-region prerequisites. */
export interface StackGraph {
  ordered: StackSpec[];
  /** Stack name → names of this region's stacks it must follow (dependsOn and `{ output }` sources). */
  dependencies: Map<string, string[]>;
}

/**
 * The region's stack graph, hub-side stacks of a spoke (`deployRegion: hub`) included: they are declared
 * in the spoke's file and read its outputs. Outputs of other regions are not edges: those regions belong
 * to an earlier wave. A cycle is a ConfigurationError (from {@link orderStacks}).
 */
export function stackGraph(region: RegionConfig): StackGraph {
  const ordered = orderStacks(region);
  const names = new Set(region.stacks.map((s) => s.name));
  const dependencies = new Map(
    ordered.map((s) => [s.name, stackDependencies(s, region).filter((d) => names.has(d))]),
  );
  return { ordered, dependencies };
}
