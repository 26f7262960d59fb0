import { errorMessage } from '../util/errors.js';
import { tryAttempts } from './attempts.js';
import { notRun, type CheckResult, type KnownBehaviour } from './check-result.js';
import { probeHttp, type HttpProbeResult } from './http-probe.js';
import {
  findAuroraCluster,
  readCapacityWindow,
  type AuroraCapacityWindow,
  type AuroraScaling,
} from './aurora-state.js';
import type { VerifyContext } from './verify-context.js';

export interface AuroraReading {
  scaling?: AuroraScaling;
  window?: AuroraCapacityWindow;
  result: CheckResult;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Read the Aurora cluster's scaling and last hour of capacity BEFORE any request, so the verdict
 * (idle, paused) is about the database as users find it, not as this check left it.
 */
export async function readAurora(ctx: VerifyContext): Promise<AuroraReading> {
  const target = 'aurora';
  if (!ctx.aws) return { result: notRun('cold-start', target, 'no credentials (role-to-assume not given)') };
  const base = {
    check: 'cold-start' as const,
    key: 'cold-start:aurora',
    incidentKey: 'cold-start:aurora',
    target,
    attempts: 1,
    flaky: false,
  };
  try {
    const regions = [...ctx.regions.map((r) => r.name), ctx.config.platform.hubRegion];
    const scaling = await findAuroraCluster(ctx.aws, ctx.config.platform.project, [...new Set(regions)]);
    if (!scaling) {
      return {
        result: {
          ...base,
          status: 'warn',
          summary: `no Aurora Serverless v2 cluster found in ${[...new Set(regions)].join(', ')}`,
          notes: [],
          details: {},
        },
      };
    }
    const window = await readCapacityWindow(ctx.aws, scaling, ctx.now());
    const flags = [
      window.neverScalesDown ? 'never-scales-down' : '',
      window.alwaysCold ? 'always-cold' : '',
    ].filter(Boolean);
    // Serverless v2 pauses only at MinCapacity 0; above it the database idles at the minimum and a
    // slow first request is database latency, never a resume. Say which regime this is.
    const pause =
      scaling.minCapacity === 0
        ? `, auto-pause after ${scaling.secondsUntilAutoPause ?? '?'} s`
        : scaling.minCapacity !== undefined
          ? ', never pauses (MinCapacity above 0)'
          : '';
    return {
      scaling,
      window,
      result: {
        ...base,
        target: `aurora ${scaling.clusterId} (${scaling.region})`,
        region: scaling.region,
        status: flags.length ? 'warn' : 'pass',
        summary:
          `${scaling.minCapacity ?? '?'}–${scaling.maxCapacity ?? '?'} ACU${pause}; before this run: ${window.state}` +
          `${window.latest !== undefined ? ` (${window.latest} ACU)` : ''}` +
          (flags.length ? `; ${flags.join(', ')}` : ''),
        reason: window.tradeOff,
        notes: window.tradeOff ? [window.tradeOff] : [],
        details: {
          clusterId: scaling.clusterId,
          minCapacity: scaling.minCapacity,
          maxCapacity: scaling.maxCapacity,
          secondsUntilAutoPause: scaling.secondsUntilAutoPause,
          regime: regimeOf(scaling),
          stateBefore: window.state,
          latestAcu: window.latest,
          datapoints: window.points.length,
          flags,
        },
      },
    };
  } catch (err) {
    return {
      result: {
        ...base,
        status: 'degraded',
        summary: `could not read Aurora: ${errorMessage(err)}`,
        reason: errorMessage(err),
        notes: [],
        details: {},
      },
    };
  }
}

/** `auto-pause` at MinCapacity 0 (the first request after a pause waits for a resume), `no-pause` above it. */
export function regimeOf(scaling: AuroraScaling | undefined): 'auto-pause' | 'no-pause' | 'unknown' {
  if (scaling?.minCapacity === undefined) return 'unknown';
  return scaling.minCapacity === 0 ? 'auto-pause' : 'no-pause';
}

function dbAnswered(p: HttpProbeResult): boolean {
  // Coder's GET /api/v2/users/first: 200 when the first user exists, 404 before; both mean the database answered.
  return p.statusCode === 200 || p.statusCode === 404;
}

/**
 * Time the first request to the database-backed endpoint on each region's own name, then warm
 * ones: cold penalty against the cold budget, warm p95 against the warm budget.
 */
export async function runColdStartTiming(
  ctx: VerifyContext,
  aurora: AuroraReading | undefined,
): Promise<{ results: CheckResult[]; known: KnownBehaviour[] }> {
  const results: CheckResult[] = [];
  const known: KnownBehaviour[] = [];
  const path = ctx.config.platform.coldStart.path;
  const t = ctx.thresholds;
  for (const region of ctx.regions.map((r) => r.name)) {
    const host = `${region}.${ctx.domain}`;
    const probe = (): Promise<HttpProbeResult> =>
      probeHttp({
        scheme: 'https',
        host,
        port: 443,
        path,
        resolve: ctx.resolve,
        ca: ctx.ca,
        timeoutMs: Math.max(t.httpTimeoutMs, t.coldStartBudgetMs * 2),
      });
    const first = await tryAttempts(probe, dbAnswered, { attempts: ctx.attempts, sleep: ctx.sleep });
    const base = {
      check: 'cold-start' as const,
      key: `cold-start:${region}`,
      incidentKey: `cold-start:${region}`,
      target: `${host}${path}`,
      region,
    };
    if (!first.ok) {
      const p = first.value;
      const why = p.error
        ? `${p.failedPhase ?? 'request'} failed: ${p.error}`
        : `HTTP ${p.statusCode ?? '?'}`;
      results.push({
        ...base,
        status: 'fail',
        summary: `database endpoint did not answer: ${why}`,
        reason: why,
        attempts: first.attempts,
        flaky: false,
        notes: [],
        timings: p.timings,
        details: {},
      });
      continue;
    }
    const warm: number[] = [];
    for (let i = 0; i < t.warmRequests; i++) {
      const w = await probe();
      if (dbAnswered(w) && w.timings.firstByte !== undefined) warm.push(w.timings.firstByte);
    }
    const coldMs = first.value.timings.firstByte ?? first.value.timings.total ?? 0;
    const warmP95 = percentile(warm, 95);
    const warmMedian = percentile(warm, 50) ?? 0;
    const penaltyMs = Math.max(0, Math.round(coldMs - warmMedian));
    const problems: string[] = [];
    if (coldMs > t.coldStartBudgetMs)
      problems.push(`first request ${Math.round(coldMs)} ms over the ${t.coldStartBudgetMs} ms cold budget`);
    if (warmP95 !== undefined && warmP95 > t.warmP95BudgetMs)
      problems.push(`warm p95 ${Math.round(warmP95)} ms over the ${t.warmP95BudgetMs} ms budget`);
    if (warm.length < t.warmRequests)
      problems.push(`${t.warmRequests - warm.length} of ${t.warmRequests} warm requests failed`);
    const notes: string[] = [];
    const stateBefore = aurora?.window?.state;
    const regime = regimeOf(aurora?.scaling);
    if (penaltyMs > t.warmP95BudgetMs && problems.length === 0) {
      // Only a database that can pause has a cold start; at MinCapacity above 0 what was measured is
      // the first request's database latency (connection set-up, cold caches), so say that instead.
      const noPause = regime === 'no-pause';
      notes.push(
        noPause
          ? `known behaviour: first database request slower, not a resume (MinCapacity ${aurora?.scaling?.minCapacity} ACU never pauses)`
          : 'known behaviour: Aurora cold start',
      );
      known.push({
        id: 'aurora-cold-start',
        target: host,
        summary: noPause
          ? `first database request took ${Math.round(coldMs)} ms (+${penaltyMs} ms over warm), within the ${t.coldStartBudgetMs} ms budget; Aurora does not pause at MinCapacity ${aurora?.scaling?.minCapacity} ACU, so this is database latency`
          : `first request after idle took ${Math.round(coldMs)} ms (+${penaltyMs} ms), within the ${t.coldStartBudgetMs} ms budget`,
        details: { coldMs: Math.round(coldMs), penaltyMs, stateBefore, regime },
      });
    }
    if (first.flaky) notes.push(`flaky: the database endpoint answered on try ${first.attempts}`);
    results.push({
      ...base,
      status: problems.length ? 'degraded' : 'pass',
      summary:
        `first ${Math.round(coldMs)} ms (penalty ${penaltyMs} ms), warm p95 ${warmP95 === undefined ? '–' : `${Math.round(warmP95)} ms`} over ${warm.length}` +
        (problems.length ? `: ${problems.join('; ')}` : ''),
      reason: problems.length ? problems.join('; ') : undefined,
      attempts: first.attempts,
      flaky: first.flaky,
      notes,
      timings: first.value.timings,
      details: {
        path,
        coldMs: Math.round(coldMs),
        penaltyMs,
        warmP95Ms: warmP95 === undefined ? undefined : Math.round(warmP95),
        warmMedianMs: Math.round(warmMedian),
        warmSamples: warm.length,
        coldBudgetMs: t.coldStartBudgetMs,
        warmP95BudgetMs: t.warmP95BudgetMs,
        stateBefore,
        regime,
      },
    });
  }
  return { results, known };
}
