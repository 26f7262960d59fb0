import type { GitopsConfig, RegionConfig, StackSpec, ValueSource } from '../gitops/types.js';
import { resolveSource } from '../gitops/resolve-source.js';
import type { DnsChange } from './plan-types.js';

/** What Route 53 holds now for a region (read by the engine when it has credentials). */
export interface CurrentDns {
  /** Regions that have a latency record (SetIdentifier) in the apex / `*.<domain>` sets. */
  latencyRegions: string[];
  /** Names of existing records, e.g. `us-west-2.coderdemo.io`, `*.us-west-2.coderdemo.io` (trailing dot optional). */
  regionRecords: string[];
}

export interface DnsDiffOptions {
  /** Head configuration. */
  config: GitopsConfig;
  /** Base configuration (undefined: no base, e.g. the first plan). */
  baseConfig?: GitopsConfig;
  region: string;
  current?: CurrentDns;
}

/** Templates whose stacks hold the region's Route 53 health check. */
export const HEALTH_CHECK_TEMPLATES = ['dns'];

/**
 * Route 53 changes for a region: its health check (the `dns` stack) and the alias records
 * apply-region adds or removes. Compared with `current` when given (online), else base → head config.
 */
export function diffDns(opts: DnsDiffOptions): DnsChange[] {
  const { config, baseConfig, region, current } = opts;
  const head = config.regions.find((r) => r.name === region);
  const base = baseConfig?.regions.find((r) => r.name === region);
  const domain = config.platform.domain;
  const baseDomain = baseConfig?.platform.domain ?? domain;
  const out: DnsChange[] = [...healthCheckChanges(region, domain, head, base, config, baseConfig)];

  const latencyNames = (d: string) => [d, `*.${d}`];
  const regionNames = (d: string) => [`${region}.${d}`, `*.${region}.${d}`];
  const enabled = head?.enabled === true;

  if (current) {
    const routed = current.latencyRegions.includes(region);
    const existing = new Set(current.regionRecords.map(normalizeName));
    if (enabled) {
      if (!routed) {
        for (const r of latencyNames(domain))
          out.push({
            region,
            record: r,
            kind: 'latency-alias',
            action: 'add',
            reason: 'region enabled: joins latency routing after verification',
          });
      }
      for (const r of regionNames(domain)) {
        if (!existing.has(normalizeName(r)))
          out.push({
            region,
            record: r,
            kind: 'region-alias',
            action: 'add',
            reason: 'region enabled: its own names point at its load balancer',
          });
      }
    } else if (routed) {
      for (const r of latencyNames(domain))
        out.push({
          region,
          record: r,
          kind: 'latency-alias',
          action: 'remove',
          reason: head
            ? 'region disabled: drained from latency routing'
            : 'region removed from the configuration: drained from latency routing',
        });
    }
    return out;
  }

  const wasEnabled = base?.enabled === true;
  if (enabled && (!wasEnabled || baseDomain !== domain)) {
    const why = !base ? 'new region' : !wasEnabled ? 'region enabled' : `domain changed from ${baseDomain}`;
    for (const r of latencyNames(domain))
      out.push({
        region,
        record: r,
        kind: 'latency-alias',
        action: 'add',
        reason: `${why}: joins latency routing after verification`,
      });
    for (const r of regionNames(domain))
      out.push({
        region,
        record: r,
        kind: 'region-alias',
        action: 'add',
        reason: `${why}: its own names point at its load balancer`,
      });
  }
  if (wasEnabled && (!enabled || baseDomain !== domain)) {
    const why = !head
      ? 'region removed from the configuration'
      : !enabled
        ? 'region disabled'
        : `domain changed to ${domain}`;
    for (const r of latencyNames(baseDomain))
      out.push({
        region,
        record: r,
        kind: 'latency-alias',
        action: 'remove',
        reason: `${why}: drained from latency routing`,
      });
    if (baseDomain !== domain) {
      for (const r of regionNames(baseDomain))
        out.push({
          region,
          record: r,
          kind: 'region-alias',
          action: 'remove',
          reason: `${why}: old name removed`,
        });
    }
  }
  return out;
}

function healthCheckChanges(
  region: string,
  domain: string,
  head: RegionConfig | undefined,
  base: RegionConfig | undefined,
  config: GitopsConfig,
  baseConfig: GitopsConfig | undefined,
): DnsChange[] {
  const h = head?.stacks.find(isHealthCheckStack);
  const b = baseConfig ? base?.stacks.find(isHealthCheckStack) : undefined;
  const record = `${region}.${domain}`;
  if (h && !b) {
    if (baseConfig === undefined) return [];
    return [
      {
        region,
        record,
        kind: 'health-check',
        action: 'add',
        reason: `stack ${h.name} added: health check on ${record}`,
      },
    ];
  }
  if (!h && b) {
    return [
      {
        region,
        record: `${region}.${baseConfig!.platform.domain}`,
        kind: 'health-check',
        action: 'remove',
        reason: `stack ${b.name} removed: its health check is deleted`,
      },
    ];
  }
  if (!h || !b) return [];
  const reasons: string[] = [];
  const keys = new Set([...Object.keys(h.parameters), ...Object.keys(b.parameters)]);
  for (const k of [...keys].sort()) {
    const x = b.parameters[k];
    const y = h.parameters[k];
    const bx = x ? describeSource(x, base!, baseConfig!) : undefined;
    const hy = y ? describeSource(y, head!, config) : undefined;
    if (bx !== hy) reasons.push(`${k}: ${bx ?? '(unset)'} → ${hy ?? '(unset)'}`);
  }
  const bt = baseConfig!.templates.get(b.template);
  const ht = config.templates.get(h.template);
  if (b.template !== h.template) reasons.push(`template ${b.template} → ${h.template}`);
  else if (bt !== undefined && ht !== undefined && bt !== ht)
    reasons.push(`stacks/${h.template}.yaml changed`);
  if (reasons.length === 0) return [];
  return [{ region, record, kind: 'health-check', action: 'change', reason: reasons.join('; ') }];
}

function isHealthCheckStack(s: StackSpec): boolean {
  return HEALTH_CHECK_TEMPLATES.includes(s.template);
}

/** A parameter's value as far as configuration tells (fields resolved, outputs named). */
function describeSource(s: ValueSource, region: RegionConfig, config: GitopsConfig): string {
  if (s.kind === 'output') return `${s.region ? `${s.region}:` : ''}${s.stack}.${s.outputKey}`;
  const r = resolveSource(s, { config, region, outputs: () => undefined });
  return r.known ? r.value : r.reason;
}

function normalizeName(n: string): string {
  return n
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\\052/, '*');
}
