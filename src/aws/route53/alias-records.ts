import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  waitUntilResourceRecordSetsChanged,
  type Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { wrapAwsError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { withRetry } from '../../util/retry.js';

/** What to do with the region's place in latency routing. */
export type DnsMode = 'promote' | 'hold' | 'remove';

export interface AliasTargetSpec {
  /** The NLB's DNS name. */
  dnsName: string;
  /** The NLB's canonical hosted zone id. */
  hostedZoneId: string;
}

export interface RegionAliasOptions {
  route53: Route53Client;
  /** The existing public zone of the domain. */
  hostedZoneId: string;
  domain: string;
  region: string;
  target: AliasTargetSpec;
  /** The region's health check (the dns stack's output); required to promote. */
  healthCheckId?: string;
  mode: DnsMode;
  logger: Logger;
  /** Only say what would change. */
  dryRun?: boolean;
  /** Longest wait for GetChange to report INSYNC, in seconds (default 300). */
  maxWaitSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RegionAliasResult {
  /** `UPSERT us-east-2.coderdemo.io A`, `DELETE coderdemo.io A (latency us-west-2)`… */
  changes: string[];
  changeId?: string;
  /** Whether the region is in latency routing after this call. */
  inLatencyRouting: boolean;
  /**
   * The call writes (or, dry, would write) the region's latency entries: it enters latency routing, or
   * its entries point somewhere new. Promotion verifies the region first exactly then.
   */
  entersLatencyRouting: boolean;
}

/** Route 53 spells names with a trailing dot and `*` as `\052`; compare without either. */
export function normalizeName(name: string): string {
  return name.replace(/\\052/g, '*').replace(/\.$/, '').toLowerCase();
}

function alias(name: string, target: AliasTargetSpec): ResourceRecordSet {
  return {
    Name: name,
    Type: 'A',
    AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: true },
  };
}

/** The records the region owns itself and, for latency routing, its entries in the apex and `*.<domain>` sets. */
export function desiredRecords(
  domain: string,
  region: string,
  target: AliasTargetSpec,
  healthCheckId: string | undefined,
): { own: ResourceRecordSet[]; latency: ResourceRecordSet[] } {
  const own = [alias(`${region}.${domain}`, target), alias(`*.${region}.${domain}`, target)];
  const latency = [domain, `*.${domain}`].map((name) => ({
    ...alias(name, target),
    SetIdentifier: region,
    Region: region as ResourceRecordSet['Region'],
    ...(healthCheckId ? { HealthCheckId: healthCheckId } : {}),
  }));
  return { own, latency };
}

function sameRecord(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  return (
    normalizeName(a.Name ?? '') === normalizeName(b.Name ?? '') &&
    a.Type === b.Type &&
    (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '') &&
    (a.Region ?? '') === (b.Region ?? '') &&
    (a.HealthCheckId ?? '') === (b.HealthCheckId ?? '') &&
    normalizeName(a.AliasTarget?.DNSName ?? '') === normalizeName(b.AliasTarget?.DNSName ?? '') &&
    (a.AliasTarget?.HostedZoneId ?? '') === (b.AliasTarget?.HostedZoneId ?? '') &&
    (a.AliasTarget?.EvaluateTargetHealth ?? false) === (b.AliasTarget?.EvaluateTargetHealth ?? false)
  );
}

/** Every record set in the zone (all pages), or only those named one of `names`. */
export async function listRecords(
  route53: Route53Client,
  hostedZoneId: string,
  names?: string[],
  sleep?: (ms: number) => Promise<void>,
): Promise<ResourceRecordSet[]> {
  const wanted = names && new Set(names.map(normalizeName));
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = {};
  for (;;) {
    const page = await withRetry(
      () =>
        route53.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            StartRecordName: start.name,
            StartRecordType: start.type as never,
            StartRecordIdentifier: start.id,
          }),
        ),
      { label: 'ListResourceRecordSets', sleep },
    );
    for (const r of page.ResourceRecordSets ?? [])
      if (!wanted || wanted.has(normalizeName(r.Name ?? ''))) out.push(r);
    if (!page.IsTruncated) return out;
    start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
  }
}

function describe(c: Change): string {
  const r = c.ResourceRecordSet!;
  const latency = r.SetIdentifier ? ` (latency ${r.SetIdentifier})` : '';
  return `${c.Action} ${normalizeName(r.Name ?? '')} ${r.Type}${latency}`;
}

/**
 * Write the region's alias records to its NLB: its own names always; the latency entries with
 * `promote`, removed with `remove` (own names stay), untouched with `hold`. Only what differs is sent,
 * then waited on with GetChange.
 */
export async function applyRegionAliases(opts: RegionAliasOptions): Promise<RegionAliasResult> {
  const { route53, hostedZoneId, domain, region } = opts;
  const desired = desiredRecords(domain, region, opts.target, opts.healthCheckId);
  const names = [`${region}.${domain}`, `*.${region}.${domain}`, domain, `*.${domain}`];
  let existing: ResourceRecordSet[];
  try {
    existing = await listRecords(route53, hostedZoneId, names, opts.sleep);
  } catch (err) {
    throw wrapAwsError(`could not list the records of zone ${hostedZoneId}`, err);
  }
  const find = (want: ResourceRecordSet) =>
    existing.find(
      (r) =>
        normalizeName(r.Name ?? '') === normalizeName(want.Name ?? '') &&
        r.Type === want.Type &&
        (r.SetIdentifier ?? '') === (want.SetIdentifier ?? ''),
    );
  const changes: Change[] = [];
  for (const want of desired.own) {
    const have = find(want);
    if (!have || !sameRecord(have, want)) changes.push({ Action: 'UPSERT', ResourceRecordSet: want });
  }
  let inLatency = desired.latency.some((want) => !!find(want));
  if (opts.mode === 'promote') {
    if (!opts.healthCheckId) {
      throw new Error(
        `cannot put ${region} into latency routing: no health check id (the dns stack's HealthCheckId output is missing)`,
      );
    }
    for (const want of desired.latency) {
      const have = find(want);
      if (!have || !sameRecord(have, want)) changes.push({ Action: 'UPSERT', ResourceRecordSet: want });
    }
    inLatency = true;
  } else if (opts.mode === 'remove') {
    // DELETE must repeat the record exactly as it is.
    for (const want of desired.latency) {
      const have = find(want);
      if (have) changes.push({ Action: 'DELETE', ResourceRecordSet: have });
    }
    inLatency = false;
  }
  const lines = changes.map(describe);
  const entersLatencyRouting = changes.some(
    (c) => c.Action === 'UPSERT' && !!c.ResourceRecordSet?.SetIdentifier,
  );
  if (changes.length === 0) {
    opts.logger.info(`DNS for ${region}: records already as wanted`);
    return { changes: [], inLatencyRouting: inLatency, entersLatencyRouting };
  }
  if (opts.dryRun) {
    for (const l of lines) opts.logger.info(`would ${l}`);
    return {
      changes: lines,
      inLatencyRouting: desired.latency.some((want) => !!find(want)),
      entersLatencyRouting,
    };
  }
  for (const l of lines) opts.logger.info(l);
  let changeId: string | undefined;
  try {
    const out = await withRetry(
      () =>
        route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            ChangeBatch: { Comment: `coder-gitops apply-region ${region} (${opts.mode})`, Changes: changes },
          }),
        ),
      { label: 'ChangeResourceRecordSets', sleep: opts.sleep },
    );
    changeId = out.ChangeInfo?.Id;
    if (changeId && out.ChangeInfo?.Status !== 'INSYNC') {
      await waitUntilResourceRecordSetsChanged(
        { client: route53, maxWaitTime: opts.maxWaitSeconds ?? 300, minDelay: 5, maxDelay: 30 },
        { Id: changeId },
      );
    }
  } catch (err) {
    throw wrapAwsError(`could not change the DNS records of ${region} in zone ${hostedZoneId}`, err);
  }
  return { changes: lines, changeId, inLatencyRouting: inLatency, entersLatencyRouting };
}
