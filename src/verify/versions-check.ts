import { minorOf, parseCoderVersion, withinSkew } from '../gitops/coder-version.js';
import type { CheckResult } from './check-result.js';
import type { HttpsProbeRecord } from './https-check.js';

/**
 * Every region's own name reports the same Coder version as the primary, or one within the skew the
 * platform allows (the same major.minor: src/gitops/coder-version.ts): a region beyond it fails, naming
 * it and both versions. Without the primary's answer, differing versions are degraded, naming each.
 */
export function checkVersions(probes: HttpsProbeRecord[], regions: string[], primary?: string): CheckResult {
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
  const primaryVersion = primary ? byRegion.get(primary) : undefined;
  const parsedPrimary = primaryVersion ? parseCoderVersion(primaryVersion) : undefined;
  if (primary && primaryVersion && parsedPrimary && distinct.size > 1) {
    const beyond = [...byRegion]
      .filter(([r]) => r !== primary)
      .filter(([, v]) => {
        const p = parseCoderVersion(v);
        return !p || !withinSkew(parsedPrimary, p);
      });
    if (beyond.length) {
      const reason = `${beyond.map(([r, v]) => `${r} ${v}`).join(', ')} beyond the allowed skew of the primary ${primary} ${primaryVersion} (same major.minor, ${minorOf(parsedPrimary)}.x)`;
      return { ...base, status: 'fail', summary: reason, reason, notes };
    }
    return {
      ...base,
      status: 'pass',
      summary: `within the allowed skew of the primary ${primary} (${minorOf(parsedPrimary)}.x): ${listing}`,
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
