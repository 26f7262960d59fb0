import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { RecordedAliases } from '../apply/apply-types.js';
import { normalizeName } from '../aws/route53/alias-records.js';
import type { RecordDrift, RegionDnsDrift } from './drift-types.js';

/** The last apply report's records for a region, and where they came from (for the drift report). */
export interface RecordedRegion {
  recorded: RecordedAliases;
  /** `apply report deploy-1234.json (2026-12-01T08:00:00Z)`. */
  source: string;
}

export interface CompareRegionInput {
  region: string;
  /** Git: a disabled region has no latency entries, whatever was applied last. */
  enabled: boolean;
  domain: string;
  recorded?: RecordedRegion;
  /** Every live record of the zone under the names apply-region owns. */
  live: ResourceRecordSet[];
}

/** Names apply-region writes for a region (its own) and the shared latency names. */
export function ownedNames(domain: string, region: string): { own: string[]; latency: string[] } {
  return { own: [`${region}.${domain}`, `*.${region}.${domain}`], latency: [domain, `*.${domain}`] };
}

function sameKey(a: ResourceRecordSet, name: string, type: string, setId: string | undefined): boolean {
  return (
    normalizeName(a.Name ?? '') === normalizeName(name) &&
    a.Type === type &&
    (a.SetIdentifier ?? '') === (setId ?? '')
  );
}

/** Field by field: what a person would have changed in the console. */
function fieldsOf(r: ResourceRecordSet): Record<string, string | undefined> {
  return {
    'AliasTarget.DNSName': r.AliasTarget?.DNSName ? normalizeName(r.AliasTarget.DNSName) : undefined,
    'AliasTarget.HostedZoneId': r.AliasTarget?.HostedZoneId,
    'AliasTarget.EvaluateTargetHealth': r.AliasTarget
      ? String(r.AliasTarget.EvaluateTargetHealth ?? false)
      : undefined,
    HealthCheckId: r.HealthCheckId,
    Region: r.Region,
    TTL: r.TTL !== undefined ? String(r.TTL) : undefined,
    ResourceRecords: r.ResourceRecords?.length ? r.ResourceRecords.map((x) => x.Value).join(',') : undefined,
  };
}

function differences(expected: ResourceRecordSet, actual: ResourceRecordSet): RecordDrift['fields'] {
  const e = fieldsOf(expected);
  const a = fieldsOf(actual);
  // An alias record has no TTL or values of its own (Route 53 takes the target's; moto shows TTL 0).
  if (expected.AliasTarget && actual.AliasTarget) {
    for (const f of ['TTL', 'ResourceRecords']) {
      delete e[f];
      delete a[f];
    }
  }
  const out: RecordDrift['fields'] = [];
  for (const field of Object.keys(e)) {
    if (e[field] === a[field]) continue;
    out.push({
      field,
      ...(e[field] !== undefined ? { expected: e[field] } : {}),
      ...(a[field] !== undefined ? { actual: a[field] } : {}),
    });
  }
  return out;
}

function compareOne(
  region: string,
  kind: RecordDrift['kind'],
  expected: ResourceRecordSet,
  live: ResourceRecordSet[],
): RecordDrift {
  const base = {
    region,
    name: normalizeName(expected.Name ?? ''),
    type: expected.Type ?? 'A',
    ...(expected.SetIdentifier ? { setIdentifier: expected.SetIdentifier } : {}),
    kind,
  };
  const actual = live.find((r) =>
    sameKey(r, expected.Name ?? '', expected.Type ?? 'A', expected.SetIdentifier),
  );
  if (!actual)
    return { ...base, status: 'deleted', fields: [], reason: 'the record apply-region wrote is gone' };
  const fields = differences(expected, actual);
  return { ...base, status: fields.length > 0 ? 'modified' : 'in-sync', fields };
}

/**
 * Compare one region's records in Route 53 with what the last apply report recorded and Git declares:
 * its own aliases, and its entries in the apex and `*.<domain>` latency sets (none for a disabled region).
 * Without an apply report (or after a `hold`, which leaves latency entries untouched) they are not checked.
 */
export function compareRegionRecords(input: CompareRegionInput): RegionDnsDrift {
  const { region, domain, live, recorded } = input;
  const names = ownedNames(domain, region);
  const records: RecordDrift[] = [];
  const notChecked = (name: string, setId: string | undefined, kind: RecordDrift['kind'], reason: string) =>
    records.push({
      region,
      name,
      type: 'A',
      ...(setId ? { setIdentifier: setId } : {}),
      kind,
      status: 'not-checked',
      fields: [],
      reason,
    });
  const noReport =
    'no apply report has recorded this region’s records yet (it has not been applied with DNS)';
  if (recorded) {
    for (const want of recorded.recorded.own) records.push(compareOne(region, 'region-alias', want, live));
  } else {
    for (const name of names.own) notChecked(name, undefined, 'region-alias', noReport);
  }
  const latency = input.enabled ? recorded?.recorded.latency : [];
  if (latency === undefined) {
    const why = recorded
      ? 'the last apply held DNS (hold leaves the latency entries as they were)'
      : noReport;
    for (const name of names.latency) notChecked(name, region, 'latency-alias', why);
  } else {
    for (const want of latency) records.push(compareOne(region, 'latency-alias', want, live));
    // Entries in the latency sets for this region that should not be there.
    for (const name of names.latency) {
      if (latency.some((w) => sameKey(w, name, 'A', region))) continue;
      const extra = live.find((r) => sameKey(r, name, 'A', region));
      if (!extra) continue;
      const actual = fieldsOf(extra);
      records.push({
        region,
        name,
        type: 'A',
        setIdentifier: region,
        kind: 'latency-alias',
        status: 'added',
        fields: Object.entries(actual).flatMap(([field, v]) =>
          v !== undefined ? [{ field, actual: v }] : [],
        ),
        reason: input.enabled
          ? 'the last apply removed this region from latency routing'
          : 'the region is disabled in Git (gitops/regions) and must not take latency traffic',
      });
    }
  }
  return {
    region,
    source: recorded?.source ?? noReport,
    records,
  };
}

/** Latency entries (set identifier) in the apex and `*.<domain>` sets that name no region of Git. */
export function strayLatencyRecords(
  domain: string,
  regions: string[],
  live: ResourceRecordSet[],
): RecordDrift[] {
  const known = new Set(regions);
  const latencyNames = new Set([domain, `*.${domain}`].map(normalizeName));
  return live
    .filter(
      (r) =>
        r.Type === 'A' &&
        r.SetIdentifier &&
        !known.has(r.SetIdentifier) &&
        latencyNames.has(normalizeName(r.Name ?? '')),
    )
    .map((r) => ({
      region: r.SetIdentifier!,
      name: normalizeName(r.Name ?? ''),
      type: 'A',
      setIdentifier: r.SetIdentifier!,
      kind: 'latency-alias' as const,
      status: 'added' as const,
      fields: Object.entries(fieldsOf(r)).flatMap(([field, v]) =>
        v !== undefined ? [{ field, actual: v }] : [],
      ),
      reason: `set identifier ${r.SetIdentifier} is not a region in gitops/regions`,
    }));
}
