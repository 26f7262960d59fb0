/**
 * What the verify engine reports: one {@link CheckResult} per check and target, the routing matrix,
 * and the environment's known behaviours (reported, never paged on).
 */

export type CheckName = 'https' | 'tls' | 'routing' | 'health' | 'cold-start' | 'versions' | 'coder';

export const CHECK_NAMES: readonly CheckName[] = [
  'https',
  'tls',
  'routing',
  'health',
  'cold-start',
  'versions',
  'coder',
];

/**
 * `warn` is worth reading but pages no one (a certificate under the warn threshold, a cost flag);
 * `degraded` works but not as designed; `fail` is broken for users; `not-run` says why not.
 */
export type CheckStatus = 'pass' | 'warn' | 'degraded' | 'fail' | 'not-run';

/** Request phases in milliseconds; a phase that never completed is absent, not zero. */
export interface PhaseTimings {
  dns?: number;
  connect?: number;
  tls?: number;
  firstByte?: number;
  total?: number;
}

export interface CheckResult {
  check: CheckName;
  /**
   * Stable identity across runs (`tls:*.us-west-2.coderdemo.io`): random probe names are keyed by
   * their wildcard, so the same finding keeps the same key from run to run.
   */
  key: string;
  /** Groups findings for incident issues: `<check>:<region>` or `<check>:global`. */
  incidentKey: string;
  /** What was checked: a host, `vantage → name`, a region, an Aurora cluster. */
  target: string;
  /** Region the target belongs to, when it belongs to one. */
  region?: string;
  status: CheckStatus;
  /** One line a person reads first. */
  summary: string;
  /** Why it did not pass (or did not run). */
  reason?: string;
  /** Tries used (1 = first try). */
  attempts: number;
  /** Passed only after failing at least once. */
  flaky: boolean;
  /** Notes such as `known behaviour: Aurora cold start`. */
  notes: string[];
  timings?: PhaseTimings;
  /** Check-specific facts (JSON-serialisable). */
  details: Record<string, unknown>;
}

export type KnownBehaviourId = 'aurora-cold-start' | 'plain-http';

/** Something the environment does on purpose (ARCHITECTURE.md, "Known Behaviors"). */
export interface KnownBehaviour {
  id: KnownBehaviourId;
  target: string;
  summary: string;
  details: Record<string, unknown>;
}

export interface RoutingCell {
  vantage: string;
  /** `coderdemo.io` or `*.coderdemo.io`. */
  name: string;
  expectedRegion?: string;
  /** Region whose own record the answer matches; undefined when it matches none. */
  answeredRegion?: string;
  addresses: string[];
  status: CheckStatus;
  /** `dns` (the nameservers, with EDNS Client Subnet) or `route53` (TestDNSAnswer). */
  source: 'dns' | 'route53';
}

/** Vantage point × name → region. */
export interface RoutingMatrix {
  vantagePoints: string[];
  names: string[];
  cells: RoutingCell[];
}

const RANK: Record<CheckStatus, number> = { 'not-run': 0, pass: 1, warn: 2, degraded: 3, fail: 4 };

/** The worse of two statuses (not-run < pass < warn < degraded < fail). */
export function worseStatus(a: CheckStatus, b: CheckStatus): CheckStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The report's status: any fail → fail, any degraded → degraded; `not-run` when nothing ran at all (a
 * check that did not run never counts as passing); otherwise pass (warn and a partial not-run page no one).
 */
export function overallStatus(results: CheckResult[]): 'pass' | 'degraded' | 'fail' | 'not-run' {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  if (results.some((r) => r.status === 'degraded')) return 'degraded';
  if (results.every((r) => r.status === 'not-run')) return 'not-run';
  return 'pass';
}

/** Results a caller should surface as failing (the action's `failing` output). */
export function failingResults(results: CheckResult[]): CheckResult[] {
  return results.filter((r) => r.status === 'fail' || r.status === 'degraded');
}

/** A not-run result with its reason. */
export function notRun(check: CheckName, target: string, reason: string, region?: string): CheckResult {
  return {
    check,
    key: `${check}:${target}`,
    incidentKey: `${check}:${region ?? 'global'}`,
    target,
    region,
    status: 'not-run',
    summary: `not run: ${reason}`,
    reason,
    attempts: 0,
    flaky: false,
    notes: [],
    details: {},
  };
}
