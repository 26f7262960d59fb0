import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import type { AwsClientFactory } from '../aws/client-factory.js';
import type { CoderClient } from '../coder/coder-client.js';
import type { GitopsConfig } from '../gitops/types.js';
import { errorMessage, InputError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { realSleep } from '../util/retry.js';
import {
  CHECK_NAMES,
  notRun,
  overallStatus,
  type CheckName,
  type CheckResult,
  type KnownBehaviour,
  type RoutingMatrix,
} from './check-result.js';
import { readAurora, runColdStartTiming, type AuroraReading } from './cold-start-check.js';
import { runHealthChecks, type RegionHealth } from './health-check.js';
import { runHttpsChecks } from './https-check.js';
import { probePlainHttp } from './plain-http-probe.js';
import { probeTargets } from './probe-targets.js';
import type { ResolveOverride } from './resolve-overrides.js';
import { runRoutingChecks } from './routing-check.js';
import type { VerifyContext } from './verify-context.js';
import { checkVersions } from './versions-check.js';
import { runCoderChecks } from './coder-check.js';

export type { CheckName } from './check-result.js';

export interface VerifyOptions {
  config: GitopsConfig;
  /** Regions to check (the caller's default: all enabled). */
  regions: string[];
  checks: CheckName[];
  /** `region-only`: only `<region>.<domain>` and `*.<region>.<domain>` (before DNS points at the region). */
  scope?: 'all' | 'region-only';
  /** curl `--resolve` semantics; a host may start with `*.`. */
  resolve?: ResolveOverride[];
  /** Extra CA (PEM file) trusted besides Node's store. */
  caFile?: string;
  /** Asked instead of the zone's authoritative name servers. */
  nameserver?: { host: string; port: number };
  /** A check fails only after this many tries. */
  attempts: number;
  /** Present = the AWS-side checks (health, Aurora, TestDNSAnswer). */
  aws?: AwsClientFactory;
  /** The primary's API with an owner token: the `coder` checks (proxies, health report, provisioners). */
  coder?: CoderClient;
  logger: Logger;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface VerifyReport {
  status: 'pass' | 'degraded' | 'fail' | 'not-run';
  results: CheckResult[];
  matrix: RoutingMatrix | undefined;
  known: KnownBehaviour[];
  startedAt: string;
  durationMs: number;
}

async function loadCa(caFile: string | undefined): Promise<string[] | undefined> {
  if (!caFile) return undefined;
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (err) {
    throw new InputError('ca-file', `cannot read '${caFile}': ${errorMessage(err)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError('ca-file', `'${caFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return [...rootCertificates, pem];
}

function buildContext(opts: VerifyOptions, ca: string[] | undefined): VerifyContext {
  const known = opts.config.regions.map((r) => r.name);
  const unknown = opts.regions.filter((r) => !known.includes(r));
  if (unknown.length) {
    throw new InputError(
      'region',
      `${unknown.join(', ')} not in ${opts.config.dir}/regions (known: ${known.join(', ')})`,
    );
  }
  const badChecks = opts.checks.filter((c) => !CHECK_NAMES.includes(c));
  if (badChecks.length) {
    throw new InputError(
      'checks',
      `unknown check ${badChecks.join(', ')} (known: ${CHECK_NAMES.join(', ')})`,
    );
  }
  if (!Number.isInteger(opts.attempts) || opts.attempts < 1) {
    throw new InputError('attempts', `'${opts.attempts}' is not a whole number of at least 1`);
  }
  return {
    config: opts.config,
    domain: opts.config.platform.domain.toLowerCase().replace(/\.$/, ''),
    regions: opts.config.regions.filter((r) => opts.regions.includes(r.name)),
    thresholds: opts.config.platform.thresholds,
    scope: opts.scope ?? 'all',
    resolve: opts.resolve ?? [],
    ca,
    nameserver: opts.nameserver,
    attempts: opts.attempts,
    aws: opts.aws,
    logger: opts.logger,
    now: opts.now ?? (() => new Date()),
    random: opts.random ?? Math.random,
    sleep: opts.sleep ?? realSleep,
  };
}

function logResults(logger: Logger, results: CheckResult[]): void {
  for (const r of results) {
    const line = `${r.status.toUpperCase().padEnd(8)} ${r.check} ${r.target}: ${r.summary}`;
    // Annotations are the caller's decision (degraded → warning, fail → error); the log only tells.
    logger.info(line);
  }
}

/**
 * Run the synthetic checks. Order matters: the Aurora state is read and the database-backed
 * endpoint timed before anything else touches the regions, and health comes before routing (an
 * answer naming an unhealthy region is a failure). Bad options throw InputError; probes never throw.
 */
export async function runVerify(opts: VerifyOptions): Promise<VerifyReport> {
  const ca = await loadCa(opts.caFile);
  const ctx = buildContext(opts, ca);
  const started = ctx.now();
  const t0 = performance.now();
  const want = new Set(opts.checks);
  const results: CheckResult[] = [];
  const known: KnownBehaviour[] = [];
  let matrix: RoutingMatrix | undefined;
  const log = ctx.logger;
  const regionNames = ctx.regions.map((r) => r.name);

  if (want.has('cold-start')) {
    await log.group('Aurora cold start', async () => {
      const aurora: AuroraReading = await readAurora(ctx);
      const timing = await runColdStartTiming(ctx, aurora);
      const family = [aurora.result, ...timing.results];
      logResults(log, family);
      results.push(...family);
      known.push(...timing.known);
    });
  }

  if (want.has('https') || want.has('tls') || want.has('versions')) {
    await log.group('HTTPS and TLS', async () => {
      const targets = probeTargets(ctx.domain, regionNames, ctx.scope, ctx.random);
      const { results: https, probes } = await runHttpsChecks(ctx, targets, {
        https: want.has('https'),
        tls: want.has('tls'),
      });
      logResults(log, https);
      results.push(...https);
      // Port 80 is about users typing the name; a region probed before DNS points at it (apply) skips it.
      if (want.has('https') && ctx.scope === 'all') {
        const plain = await probePlainHttp(ctx, targets);
        for (const k of plain) log.info(`known    plain HTTP ${k.target}: ${k.summary}`);
        known.push(...plain);
      }
      if (want.has('versions')) {
        const v = checkVersions(
          probes,
          regionNames,
          ctx.config.regions.find((r) => r.coder === 'primary')?.name,
        );
        logResults(log, [v]);
        results.push(v);
      }
    });
  }

  let health: Map<string, RegionHealth> | undefined;
  if (want.has('health') || (want.has('routing') && ctx.aws)) {
    await log.group('Route 53 health checks', async () => {
      const h = await runHealthChecks(ctx);
      health = h.health;
      if (want.has('health')) {
        logResults(log, h.results);
        results.push(...h.results);
      }
    });
  }

  if (want.has('routing')) {
    await log.group('Latency routing', async () => {
      const r = await runRoutingChecks(ctx, health);
      logResults(log, r.results);
      results.push(...r.results);
      matrix = r.matrix;
    });
  }

  if (want.has('coder')) {
    await log.group('Coder (workspace proxies, health report, provisioners)', async () => {
      const c = opts.coder
        ? await runCoderChecks(opts.coder, ctx.config, ctx.regions)
        : [
            notRun(
              'coder',
              'Coder API',
              'no Coder owner token given: the verify role does not read it (apply-region runs these checks before promoting a region)',
            ),
          ];
      logResults(log, c);
      results.push(...c);
    });
  }

  return {
    status: overallStatus(results),
    results,
    matrix,
    known,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
  };
}
