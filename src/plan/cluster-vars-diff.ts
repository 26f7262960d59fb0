import type { ClusterVarChange } from './plan-types.js';

/** A cluster variable's value at head: known, or known only after an earlier stack is applied. */
export interface ClusterVarAfter {
  known: boolean;
  value?: string;
  reason?: string;
}

/**
 * The `cluster-vars` entries that change for a region: `before` is what the cluster has (or base
 * resolved to; undefined = unknown), `after` what apply-region will write. A value unknown at head
 * is listed, since it cannot be shown unchanged, unless it was unknown at base for the same reason
 * (`beforeReasons`: the same source, e.g. an output of a stack not applied yet either way).
 */
export function diffClusterVars(
  region: string,
  before: Record<string, string | undefined>,
  after: Record<string, ClusterVarAfter>,
  beforeReasons: Record<string, string | undefined> = {},
): ClusterVarChange[] {
  const out: ClusterVarChange[] = [];
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of [...names].sort()) {
    const b = Object.prototype.hasOwnProperty.call(before, name) ? before[name] : undefined;
    const a = Object.prototype.hasOwnProperty.call(after, name) ? after[name] : undefined;
    if (!a) {
      const c: ClusterVarChange = {
        region,
        name,
        known: true,
        reason: 'removed: no longer in regions/' + `${region}.yaml`,
      };
      if (b !== undefined) c.before = b;
      out.push(c);
      continue;
    }
    if (a.known) {
      if (b !== undefined && a.value === b) continue;
      const c: ClusterVarChange = { region, name, known: true };
      if (b !== undefined) c.before = b;
      if (a.value !== undefined) c.after = a.value;
      if (!Object.prototype.hasOwnProperty.call(before, name)) c.reason = 'new variable';
      out.push(c);
      continue;
    }
    const unknownBefore = Object.prototype.hasOwnProperty.call(before, name) && b === undefined;
    if (unknownBefore && beforeReasons[name] !== undefined && beforeReasons[name] === a.reason) continue;
    const c: ClusterVarChange = { region, name, known: false, reason: a.reason ?? 'known after apply' };
    if (b !== undefined) c.before = b;
    out.push(c);
  }
  return out;
}
