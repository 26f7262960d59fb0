import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { normalizeName } from '../aws/route53/alias-records.js';
import type { GitopsConfig } from '../gitops/types.js';
import type { KnotConfig, KnotGeoRule, KnotRecord } from './knot.js';
import { answeringRegion } from '../plan/what-if-routing.js';

/** Where a stand-in load balancer "is": its DNS name in the emulator and the address the sandbox gives it. */
export interface StandInTarget {
  region: string;
  dnsName: string;
  address: string;
}

export interface SandboxZone {
  knot: KnotConfig;
  /** Regions in the apex latency set, as read from Route 53. */
  latencyRegions: string[];
}

/**
 * The zone Knot serves, generated from the emulator's Route 53 records: alias records become A
 * records at the address of the stand-in they point at; the latency set of the apex and `*.<domain>`
 * becomes geo rules. Knot answers by client subnet, not by measured latency, so each vantage point's
 * subnet gets the first of its `expectedRegions` that is in the latency set (the sandbox's model of
 * Route 53's latency table), and any other client the hub (or the first region in the set).
 */
export function zoneFromRoute53(
  config: GitopsConfig,
  records: ResourceRecordSet[],
  targets: StandInTarget[],
): SandboxZone {
  const domain = config.platform.domain.toLowerCase();
  const byDns = new Map(targets.map((t) => [normalizeName(t.dnsName), t]));
  const out: KnotRecord[] = [];
  const latency = new Map<string, Map<string, string>>(); // record name → region → address
  for (const rr of records) {
    const name = normalizeName(rr.Name ?? '');
    if (rr.Type !== 'A' || !rr.AliasTarget?.DNSName) continue;
    const target = byDns.get(normalizeName(rr.AliasTarget.DNSName));
    if (!target) continue;
    if (rr.SetIdentifier) {
      const set = latency.get(name) ?? new Map<string, string>();
      set.set(rr.Region ?? target.region, target.address);
      latency.set(name, set);
      continue;
    }
    const rel =
      name === domain ? '@' : name.endsWith(`.${domain}`) ? name.slice(0, -domain.length - 1) : undefined;
    if (rel) out.push({ name: rel, type: 'A', value: target.address });
  }
  const geo: KnotGeoRule[] = [];
  const hub = config.platform.hubRegion;
  for (const [name, set] of latency) {
    const regions = [...set.keys()];
    const fallback = set.get(hub) ?? set.get(regions[0]!)!;
    const rel = name === domain ? '@' : name.slice(0, -domain.length - 1);
    out.push({ name: rel, type: 'A', value: fallback });
    for (const vp of config.platform.vantagePoints) {
      // The plan's what-if table models routing the same way (one rule: answeringRegion). Its set is the
      // apex one too: Route 53 holds only the regions apply-region promoted (servesApex: no proxies).
      const address = set.get(answeringRegion(vp, regions, hub).region ?? '') ?? fallback;
      geo.push({ subnet: vp.clientSubnet, name, answers: [{ type: 'A', value: address }] });
    }
  }
  const apexSet = latency.get(domain);
  return {
    knot: { zone: domain, records: out, geo },
    latencyRegions: apexSet ? [...apexSet.keys()].sort() : [],
  };
}
