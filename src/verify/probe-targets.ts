/** The names verify probes, and the stable label each is reported under. */
export interface ProbeTarget {
  /** Name actually requested (a random label for wildcard names). */
  host: string;
  /** Stable name for keys and tables: the wildcard pattern for random names. */
  label: string;
  kind: 'apex' | 'wildcard' | 'region' | 'region-wildcard';
  region?: string;
}

/** A fresh label under a wildcard, so a cached or specific record cannot answer for the wildcard. */
export function randomLabel(random: () => number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(random() * 36).toString(36);
  return `verify-${s}`;
}

/**
 * Apex and a random name under `*.<domain>` (scope `all`), then for each region its own name and a
 * random name under `*.<region>.<domain>`.
 */
export function probeTargets(
  domain: string,
  regions: readonly string[],
  scope: 'all' | 'region-only',
  random: () => number,
): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  if (scope === 'all') {
    out.push({ host: domain, label: domain, kind: 'apex' });
    out.push({ host: `${randomLabel(random)}.${domain}`, label: `*.${domain}`, kind: 'wildcard' });
  }
  for (const region of regions) {
    out.push({ host: `${region}.${domain}`, label: `${region}.${domain}`, kind: 'region', region });
    out.push({
      host: `${randomLabel(random)}.${region}.${domain}`,
      label: `*.${region}.${domain}`,
      kind: 'region-wildcard',
      region,
    });
  }
  return out;
}
