import type { AwsClientFactory } from '../aws/client-factory.js';
import { listRecords } from '../aws/route53/alias-records.js';
import { accountRegion, deployRegionOf } from '../gitops/resolve-source.js';
import { stackName, type GitopsConfig, type RegionConfig, type StackSpec } from '../gitops/types.js';
import { wrapAwsError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { detectStackDrift, type StackDriftFindings } from './cfn-drift.js';
import { compareRegionRecords, ownedNames, strayLatencyRecords, type RecordedRegion } from './dns-drift.js';
import type { DriftReport, FluxDriftNote, RegionDnsDrift, StackDriftResult } from './drift-types.js';

export type DriftCheck = 'stacks' | 'dns';
export const DRIFT_CHECKS: readonly DriftCheck[] = ['stacks', 'dns'];

export interface DriftOptions {
  config: GitopsConfig;
  /** Regions to check (names from gitops/regions); stacks are detected in the enabled ones only. */
  regions: string[];
  checks: readonly DriftCheck[];
  aws: AwsClientFactory;
  /** The records each region's last apply left (apply reports), by region. */
  recorded: Map<string, RecordedRegion>;
  /** AWS_ENDPOINT_URL when the SDK points at an emulator. */
  endpointUrl?: string;
  logger: Logger;
  /** Stacks detected at the same time (default 4: CloudFormation runs each detection on its side). */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Longest wait per detection (default 10 minutes). */
  detectionTimeoutMs?: number;
}

interface StackTarget {
  region: string;
  deployRegion: string;
  spec: StackSpec;
  name: string;
}

const FLUX_NOT_CHECKED =
  'not checked by the scheduled job: it has no cluster access. helm-controller corrects drift itself ' +
  '(spec.driftDetection.mode: enabled on every HelmRelease), and apply-region’s cluster step reports the ' +
  'corrections it made (DriftCorrected / DriftCorrectionFailed events) at deploy time';

async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function stackTargets(config: GitopsConfig, regions: RegionConfig[]): StackTarget[] {
  const project = config.platform.project;
  const account = accountRegion(config);
  const out: StackTarget[] = config.platform.account.stacks.map((spec) => ({
    region: account.name,
    deployRegion: account.name,
    spec,
    name: stackName(project, account.name, spec.name),
  }));
  for (const region of regions) {
    if (!region.enabled) continue;
    for (const spec of region.stacks) {
      out.push({
        region: region.name,
        deployRegion: deployRegionOf(spec, region, config),
        spec,
        name: stackName(project, region.name, spec.name),
      });
    }
  }
  return out;
}

/**
 * What moved away from Git: CloudFormation drift detection on every stack of the enabled regions (and
 * the account stacks), and the Route 53 records apply-region owns against its last apply report and Git.
 * Flux is listed as not checked here (see {@link FLUX_NOT_CHECKED}). Never throws for AWS failures: they
 * are in `errors` and the report's status.
 */
export async function runDrift(opts: DriftOptions): Promise<DriftReport> {
  const now = opts.now ?? Date.now;
  const started = now();
  const log = opts.logger;
  const { config } = opts;
  const selected = config.regions.filter((r) => opts.regions.includes(r.name));
  const report: DriftReport = {
    status: 'in-sync',
    stacks: [],
    dns: [],
    flux: [],
    errors: [],
    apiCalls: {},
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
  };

  if (opts.checks.includes('stacks')) {
    // One emulator without the API answers the same for every stack: ask once.
    let unavailable: StackDriftFindings | undefined;
    report.stacks = await log.group('CloudFormation drift detection', () =>
      pool(stackTargets(config, selected), opts.concurrency ?? 4, async (t): Promise<StackDriftResult> => {
        const found =
          unavailable ??
          (await detectStackDrift({
            cfn: opts.aws.cloudFormation(t.deployRegion),
            stackName: t.name,
            endpointUrl: opts.endpointUrl,
            timeoutMs: opts.detectionTimeoutMs,
            sleep: opts.sleep,
            now: opts.now,
          }));
        if (found.status === 'not-available') unavailable = found;
        const line = `${t.name}: ${found.missing ? 'not deployed' : found.status}${found.drifted.length ? ` (${found.drifted.length} drifted)` : ''}${found.notChecked.length ? `, ${found.notChecked.length} not checked` : ''}`;
        if (found.status === 'error') log.error(`${line}: ${found.reason}`);
        else if (found.drifted.length) log.warn(line);
        else log.info(found.status === 'not-available' ? `${t.name}: ${found.reason}` : line);
        return {
          region: t.region,
          deployRegion: t.deployRegion,
          stack: t.spec.name,
          stackName: t.name,
          ...found,
        };
      }),
    );
    for (const s of report.stacks)
      if (s.status === 'error') report.errors.push(s.reason ?? `${s.stackName} failed`);
  }

  if (opts.checks.includes('dns')) {
    const { domain, hostedZoneId } = config.platform;
    await log.group('Route 53 records apply-region owns', async () => {
      try {
        const names = [
          ...new Set(selected.flatMap((r) => Object.values(ownedNames(domain, r.name)).flat())),
          domain,
          `*.${domain}`,
        ];
        const live = await listRecords(opts.aws.route53(), hostedZoneId, names, opts.sleep);
        const dns: RegionDnsDrift[] = selected.map((r) =>
          compareRegionRecords({
            region: r.name,
            enabled: r.enabled,
            domain,
            recorded: opts.recorded.get(r.name),
            live,
          }),
        );
        const stray = strayLatencyRecords(
          domain,
          config.regions.map((r) => r.name),
          live,
        );
        if (stray.length > 0) dns.push({ region: '(no region)', source: 'gitops/regions', records: stray });
        for (const d of dns) {
          for (const rec of d.records) {
            const what = `${rec.name} ${rec.type}${rec.setIdentifier ? ` (latency ${rec.setIdentifier})` : ''}`;
            if (rec.status === 'in-sync') log.info(`${what}: in sync`);
            else if (rec.status === 'not-checked') log.info(`${what}: not checked (${rec.reason})`);
            else
              log.warn(
                `${what}: ${rec.status}${rec.fields.map((f) => `; ${f.field} ${f.expected ?? '(none)'} → ${f.actual ?? '(none)'}`).join('')}`,
              );
          }
        }
        report.dns = dns;
      } catch (err) {
        const msg = wrapAwsError(`could not list the records of zone ${hostedZoneId}`, err).message;
        log.error(msg);
        report.errors.push(msg);
      }
    });
  }

  report.flux = selected
    .filter((r) => r.enabled)
    .map((r): FluxDriftNote => ({ region: r.name, status: 'not-checked', reason: FLUX_NOT_CHECKED }));

  const drifted =
    report.stacks.some((s) => s.drifted.length > 0) ||
    report.dns.some((d) => d.records.some((r) => ['modified', 'deleted', 'added'].includes(r.status)));
  report.status = drifted ? 'drifted' : report.errors.length > 0 ? 'error' : 'in-sync';
  report.apiCalls = Object.fromEntries([...opts.aws.calls.entries()].sort());
  report.durationMs = now() - started;
  return report;
}

/** One line for a person: `drifted: 1 stack, 1 record set; 3 not checked`. */
export function summarizeDrift(report: DriftReport): string {
  const stacks = report.stacks.filter((s) => s.drifted.length > 0).length;
  const records = report.dns
    .flatMap((d) => d.records)
    .filter((r) => !['in-sync', 'not-checked'].includes(r.status)).length;
  const notChecked =
    report.stacks.reduce((n, s) => n + s.notChecked.length, 0) +
    report.dns.flatMap((d) => d.records).filter((r) => r.status === 'not-checked').length;
  const unavailable = report.stacks.some((s) => s.status === 'not-available');
  return (
    `${report.status}: ${stacks} stack${stacks === 1 ? '' : 's'} and ${records} record set${records === 1 ? '' : 's'} differ from Git` +
    `; ${notChecked} not checked` +
    (unavailable ? '; CloudFormation drift detection not available in this emulator' : '') +
    (report.errors.length ? `; ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}` : '')
  );
}
