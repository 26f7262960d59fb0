/*
 * Helm merges a release's values over the chart's values.yaml and templates read what they read: a key
 * the chart never declares is silently ignored (a typo such as `replicaCount` → `replicaCout` installs the
 * default). A key is unknown when the chart's default values do not have it at that path. Not flagged:
 * anything under a map the chart leaves free (`{}` or null by default, such as annotations, podLabels,
 * nodeSelector), anything under a list or scalar default (env lists, tolerations), `global` (helm passes it
 * to every subchart) and a subchart's own key (its values live in the subchart's values.yaml).
 */

/** One values key the chart does not declare. */
export interface UnknownValuesKey {
  /** Dotted path: `coder.replicaCout`, `ingress["my.key"]`. */
  path: string;
}

/** Paths of `values` keys absent from `defaults` (see the file comment); `freeKeys` are top-level keys never flagged. */
export function unknownValuesKeys(
  values: unknown,
  defaults: unknown,
  freeKeys: readonly string[] = [],
): UnknownValuesKey[] {
  const out: UnknownValuesKey[] = [];
  const free = new Set(['global', ...freeKeys]);
  walk(values, defaults, '', out, free);
  // kustomize and substitution reorder keys: sorted paths read the same run to run.
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

function isMap(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function walk(
  values: unknown,
  defaults: unknown,
  prefix: string,
  out: UnknownValuesKey[],
  free: Set<string> | undefined,
): void {
  if (!isMap(values) || !isMap(defaults)) return;
  for (const [k, v] of Object.entries(values)) {
    const p = join(prefix, k);
    if (free?.has(k)) continue;
    if (!Object.prototype.hasOwnProperty.call(defaults, k)) {
      out.push({ path: p });
      continue;
    }
    const d = defaults[k];
    // An empty map (or null) by default is a map the chart leaves to the user.
    if (d === null || d === undefined || (isMap(d) && Object.keys(d).length === 0)) continue;
    walk(v, d, p, out, undefined);
  }
}

function join(prefix: string, key: string): string {
  const seg = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!prefix) return seg;
  return seg.startsWith('[') ? `${prefix}${seg}` : `${prefix}.${seg}`;
}
