import type { CoderClient } from '../coder/coder-client.js';
import { HEALTH_SECTIONS, type HealthcheckReport, type WorkspaceProxy } from '../coder/coder-types.js';
import { provisionerKeyFor } from '../apply/provisioner-key-step.js';
import { proxyNameFor } from '../apply/coder-proxy-step.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { minorOf, parseCoderVersion, withinSkew } from '../gitops/coder-version.js';
import { errorMessage } from '../util/errors.js';
import type { CheckResult, CheckStatus } from './check-result.js';

function result(
  key: string,
  target: string,
  status: CheckStatus,
  summary: string,
  details: Record<string, unknown>,
  region?: string,
): CheckResult {
  return {
    check: 'coder',
    key: `coder:${key}`,
    incidentKey: `coder:${region ?? 'global'}`,
    target,
    region,
    status,
    summary,
    ...(status === 'pass' ? {} : { reason: summary }),
    attempts: 1,
    flaky: false,
    notes: [],
    details,
  };
}

/**
 * A proxy region's proxy: registered and healthy, and within the skew the platform allows of the primary
 * (coder-version.ts withinSkew, the rule versions-check.ts applies too, with the same severity): beyond
 * it, or on a version that does not parse, it fails.
 */
export function checkProxy(
  region: string,
  proxies: WorkspaceProxy[],
  primaryVersion: string | undefined,
): CheckResult {
  const name = proxyNameFor(region);
  const target = `workspace proxy ${name}`;
  const p = proxies.find((x) => x.name === name && !x.deleted);
  if (!p) return result(`proxy:${region}`, target, 'fail', `not registered with the primary`, {}, region);
  const details = { id: p.id, status: p.status?.status, version: p.version, healthy: p.healthy };
  if (!p.healthy || p.status?.status !== 'ok') {
    const why = [...(p.status?.report?.errors ?? []), ...(p.status?.report?.warnings ?? [])].join('; ');
    return result(
      `proxy:${region}`,
      target,
      'fail',
      `${p.status?.status ?? 'unknown'}${p.status?.status === 'unregistered' ? ' (its server has not registered with its token)' : ''}${why ? `: ${why}` : ''}`,
      details,
      region,
    );
  }
  const primary = primaryVersion ? parseCoderVersion(primaryVersion) : undefined;
  const have = parseCoderVersion(p.version);
  if (primary && (!have || !withinSkew(primary, have))) {
    return result(
      `proxy:${region}`,
      target,
      'fail',
      `healthy, but on ${p.version || 'an unknown version'}, beyond the allowed skew of the primary's ${primaryVersion} (same major.minor, ${minorOf(primary)}.x)`,
      details,
      region,
    );
  }
  return result(`proxy:${region}`, target, 'pass', `healthy, ${p.version}`, details, region);
}

/** Coder's own report: `error` fails, `warning` is worth reading, naming the sections that said so. */
export function checkHealthReport(
  report: HealthcheckReport,
  ignore: readonly (typeof HEALTH_SECTIONS)[number][] = [],
): CheckResult {
  const bad = HEALTH_SECTIONS.filter(
    (s) => !ignore.includes(s) && report[s] && report[s].severity !== 'ok' && !report[s].dismissed,
  );
  const lines = bad.map((s) => {
    const sec = report[s];
    const msgs = [sec.error, ...(sec.warnings ?? []).map((w) => `${w.code} ${w.message}`)].filter(Boolean);
    return `${s} ${sec.severity}${msgs.length ? ` (${msgs.join('; ')})` : ''}`;
  });
  const details = {
    severity: report.severity,
    healthy: report.healthy,
    sections: bad,
    version: report.coder_version,
  };
  const error = ignore.length
    ? bad.some((s) => report[s].severity === 'error')
    : !report.healthy || report.severity === 'error';
  const warning = bad.some((s) => report[s].severity === 'warning');
  if (error) {
    return result(
      'health',
      'Coder health report',
      'fail',
      `severity error: ${lines.join(', ') || 'unhealthy'}`,
      details,
    );
  }
  if (warning || (!ignore.length && report.severity === 'warning')) {
    return result(
      'health',
      'Coder health report',
      'warn',
      `healthy with warnings: ${lines.join(', ')}`,
      details,
    );
  }
  return result('health', 'Coder health report', 'pass', `healthy (${report.coder_version})`, details);
}

/** A region's provisioner key (tag region=<region>) and a daemon connected with it. */
export function checkProvisioner(
  region: string,
  keys: { key: { name: string; tags: Record<string, string> }; daemons: { name: string }[] }[],
): CheckResult {
  const want = provisionerKeyFor(region);
  const target = `provisioner key ${want.name}`;
  const k = keys.find((x) => x.key.name === want.name);
  if (!k)
    return result(`provisioner:${region}`, target, 'fail', 'no provisioner key for this region', {}, region);
  if (k.key.tags?.region !== region) {
    return result(
      `provisioner:${region}`,
      target,
      'fail',
      `tagged ${JSON.stringify(k.key.tags)}, not region=${region}: jobs would not be placed here`,
      {},
      region,
    );
  }
  if (k.daemons.length === 0) {
    return result(
      `provisioner:${region}`,
      target,
      'degraded',
      'the key exists but no daemon is connected with it',
      {},
      region,
    );
  }
  return result(
    `provisioner:${region}`,
    target,
    'pass',
    `${k.daemons.length} daemon${k.daemons.length === 1 ? '' : 's'} connected (${k.daemons.map((d) => d.name).join(', ')})`,
    { daemons: k.daemons.length },
    region,
  );
}

/**
 * The Coder-side checks through the primary's API: each proxy region's proxy (health, version), Coder's
 * health report, and a provisioner key with a daemon per region (with a licence). Never throws.
 */
export async function runCoderChecks(
  client: CoderClient,
  config: GitopsConfig,
  regions: RegionConfig[],
  ignoreSections: readonly (typeof HEALTH_SECTIONS)[number][] = [],
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let primaryVersion: string | undefined;
  try {
    primaryVersion = (await client.buildInfo()).version;
  } catch {
    // reported by the proxy check as an unknown primary version
  }
  const proxyRegions = regions.filter((r) => r.coder === 'proxy');
  if (proxyRegions.length) {
    try {
      const proxies = await client.listWorkspaceProxies();
      for (const r of proxyRegions) out.push(checkProxy(r.name, proxies, primaryVersion));
    } catch (err) {
      for (const r of proxyRegions)
        out.push(
          result(`proxy:${r.name}`, `workspace proxy ${r.name}`, 'fail', errorMessage(err), {}, r.name),
        );
    }
  }
  try {
    out.push(checkHealthReport(await client.debugHealth(), ignoreSections));
  } catch (err) {
    out.push(result('health', 'Coder health report', 'fail', errorMessage(err), {}));
  }
  if (config.platform.coder.license !== 'none') {
    try {
      const keys = await client.listProvisionerKeyDaemons();
      for (const r of regions) out.push(checkProvisioner(r.name, keys));
    } catch (err) {
      for (const r of regions)
        out.push(
          result(
            `provisioner:${r.name}`,
            `provisioner key of ${r.name}`,
            'fail',
            errorMessage(err),
            {},
            r.name,
          ),
        );
    }
  }
  return out;
}
