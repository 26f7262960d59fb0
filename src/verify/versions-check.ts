import type { CheckResult } from './check-result.js';
import type { HttpsProbeRecord } from './https-check.js';

/** Every region's own name reports the same Coder version; otherwise degraded, naming each. */
export function checkVersions(probes: HttpsProbeRecord[], regions: string[]): CheckResult {
  const byRegion = new Map<string, string>();
  for (const p of probes) {
    if (p.target.kind === 'region' && p.target.region && p.version) byRegion.set(p.target.region, p.version);
  }
  const missing = regions.filter((r) => !byRegion.has(r));
  const distinct = new Set(byRegion.values());
  const listing = [...byRegion].map(([r, v]) => `${r} ${v}`).join(', ');
  const base = {
    check: 'versions' as const,
    key: 'versions:regions',
    incidentKey: 'versions:global',
    target: 'all regions',
    attempts: 1,
    flaky: false,
    details: { versions: Object.fromEntries(byRegion), missing },
  };
  const notes = missing.length ? [`no buildinfo from ${missing.join(', ')} (see https)`] : [];
  if (byRegion.size === 0) {
    return {
      ...base,
      status: 'not-run',
      summary: 'not run: no region answered buildinfo',
      reason: 'no region answered buildinfo',
      notes,
    };
  }
  if (distinct.size > 1) {
    return {
      ...base,
      status: 'degraded',
      summary: `versions differ: ${listing}`,
      reason: `versions differ: ${listing}`,
      notes,
    };
  }
  return {
    ...base,
    status: 'pass',
    summary: `all on ${[...distinct][0]} (${[...byRegion.keys()].join(', ')})`,
    notes,
  };
}
