import type { CheckResult, CheckStatus, PhaseTimings } from '../verify/check-result.js';
import { failingResults } from '../verify/check-result.js';
import type { VerifyReport } from '../verify/verify-engine.js';
import { ConfigurationError } from '../util/errors.js';

/**
 * One synthetics run as one compact JSON line of the status history. Only what the status page
 * shows is kept (a full report is ~50 KB; a line is well under 1 KB for three regions), so 30 days at
 * one run every 15 minutes stays a file of a few megabytes at most.
 */

export const HISTORY_VERSION = 1;

/** A region as users saw it in one run: `down` = a check failed, `degraded` = works but not as designed. */
export type RegionState = 'up' | 'degraded' | 'down';

export const PHASES = ['dns', 'connect', 'tls', 'firstByte'] as const;
export type Phase = (typeof PHASES)[number];

export interface RegionSample {
  state: RegionState;
  /** Phase timings (ms, rounded to 0.1) of the region's own name, as measured from the runner. */
  ms?: Partial<Record<Phase, number>>;
  /** Fewest days to certificate expiry among the region's names. */
  tlsDays?: number;
  /** Coder version its buildinfo answered. */
  version?: string;
  /** `check target: summary` for every failing or degraded check in the region (capped). */
  why?: string[];
}

/** `[vantage, name, answered region or '', status]` from the DNS routing matrix. */
export type RoutingSample = [string, string, string, CheckStatus];

export interface HistoryLine {
  v: typeof HISTORY_VERSION;
  /** Run identity (`<run id>-<attempt>`): the same run appended twice counts once. */
  id: string;
  /** When the run started (ISO 8601). */
  at: string;
  status: VerifyReport['status'];
  regions: Record<string, RegionSample>;
  routing?: RoutingSample[];
  /** Incident key (`https:us-west-2`) → its issue number (0 when none was opened), for keys failing now. */
  incidents?: Record<string, number>;
}

/** Issue numbers per incident key, as the verify action's incident sync reports them. */
export type IncidentIssues = Record<string, number>;

const STATE_OF: Partial<Record<CheckStatus, RegionState>> = { fail: 'down', degraded: 'degraded' };
const RANK: Record<RegionState, number> = { up: 0, degraded: 1, down: 2 };
const MAX_WHY = 4;
const MAX_TEXT = 200;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** The worse of two region states. */
export function worseState(a: RegionState, b: RegionState): RegionState {
  return RANK[a] >= RANK[b] ? a : b;
}

function phasesOf(t: PhaseTimings | undefined): RegionSample['ms'] {
  if (!t) return undefined;
  const out: Partial<Record<Phase, number>> = {};
  for (const p of PHASES) if (typeof t[p] === 'number') out[p] = t[p];
  return Object.keys(out).length ? out : undefined;
}

/** The region's own name (`us-west-2.example.com`), not the random name under its wildcard. */
function isOwnName(r: CheckResult): boolean {
  return r.check === 'https' && !r.target.startsWith('*.');
}

/** One history line from a verify report; `incidents` maps the failing incident keys to their issues. */
export function historyLineFromReport(
  report: VerifyReport,
  runId: string,
  incidents: IncidentIssues = {},
): HistoryLine {
  const regions: Record<string, RegionSample> = {};
  const versions = (report.results.find((r) => r.check === 'versions')?.details.versions ?? {}) as Record<
    string,
    unknown
  >;
  const names = new Set<string>();
  for (const r of report.results) if (r.region) names.add(r.region);
  for (const name of Object.keys(versions)) names.add(name);
  for (const name of [...names].sort()) {
    const own = report.results.filter((r) => r.region === name);
    let state: RegionState = 'up';
    const why: string[] = [];
    for (const r of own) {
      const s = STATE_OF[r.status];
      if (!s) continue;
      state = worseState(state, s);
      if (why.length < MAX_WHY) why.push(clip(`${r.check} ${r.target}: ${r.summary}`));
    }
    const sample: RegionSample = { state };
    const ms = phasesOf(own.find(isOwnName)?.timings);
    if (ms) sample.ms = ms;
    const days = own
      .filter((r) => r.check === 'tls' && typeof r.details.daysToExpiry === 'number')
      .map((r) => r.details.daysToExpiry as number);
    if (days.length) sample.tlsDays = Math.min(...days);
    const version = versions[name];
    if (typeof version === 'string') sample.version = clip(version);
    if (why.length) sample.why = why;
    regions[name] = sample;
  }
  const line: HistoryLine = {
    v: HISTORY_VERSION,
    id: runId,
    at: report.startedAt,
    status: report.status,
    regions,
  };
  const cells = report.matrix?.cells.filter((c) => c.source === 'dns') ?? [];
  if (cells.length) line.routing = cells.map((c) => [c.vantage, c.name, c.answeredRegion ?? '', c.status]);
  const keys = [...new Set(failingResults(report.results).map((r) => r.incidentKey))].sort();
  if (keys.length) line.incidents = Object.fromEntries(keys.map((k) => [k, incidents[k] ?? 0]));
  return line;
}

/** The line as stored: one JSON object, no newline inside. */
export function serializeHistoryLine(line: HistoryLine): string {
  return JSON.stringify(line);
}

const STATUSES: readonly string[] = ['pass', 'degraded', 'fail'];
const STATES: readonly string[] = ['up', 'degraded', 'down'];
const CHECK_STATUSES: readonly string[] = ['pass', 'warn', 'degraded', 'fail', 'not-run'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse and check one stored line. The history is written by CI from a report, so everything is
 * checked for shape here (and escaped where it is shown): a wrong line names the file, the line and
 * the field.
 */
export function parseHistoryLine(text: string, file: string, lineNo: number): HistoryLine {
  const fail = (path: string, what: string): never => {
    throw new ConfigurationError(what, { file, line: lineNo, path });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail('', `not JSON (${(err as Error).message}); each line is one run as a JSON object`);
  }
  if (!isRecord(raw)) return fail('', 'a run must be a JSON object');
  if (raw.v !== HISTORY_VERSION) fail('v', `version ${JSON.stringify(raw.v)} is not ${HISTORY_VERSION}`);
  if (typeof raw.id !== 'string' || !raw.id) fail('id', 'must be the run id (a non-empty string)');
  if (typeof raw.at !== 'string' || Number.isNaN(Date.parse(raw.at))) fail('at', 'must be an ISO 8601 time');
  if (!STATUSES.includes(raw.status as string)) fail('status', `must be one of ${STATUSES.join(', ')}`);
  if (!isRecord(raw.regions)) return fail('regions', 'must be an object of region → sample');
  for (const [name, s] of Object.entries(raw.regions)) {
    const at = `regions.${name}`;
    if (!isRecord(s)) return fail(at, 'must be an object');
    if (!STATES.includes(s.state as string)) fail(`${at}.state`, `must be one of ${STATES.join(', ')}`);
    if (s.ms !== undefined) {
      if (!isRecord(s.ms)) return fail(`${at}.ms`, 'must be an object of phase → milliseconds');
      for (const [p, v] of Object.entries(s.ms)) {
        if (!(PHASES as readonly string[]).includes(p))
          fail(`${at}.ms.${p}`, `phase must be one of ${PHASES.join(', ')}`);
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          fail(`${at}.ms.${p}`, 'must be milliseconds ≥ 0');
      }
    }
    if (s.tlsDays !== undefined && (typeof s.tlsDays !== 'number' || !Number.isFinite(s.tlsDays)))
      fail(`${at}.tlsDays`, 'must be a number of days');
    if (s.version !== undefined && typeof s.version !== 'string') fail(`${at}.version`, 'must be a string');
    if (s.why !== undefined && (!Array.isArray(s.why) || s.why.some((w) => typeof w !== 'string')))
      fail(`${at}.why`, 'must be a list of strings');
  }
  if (raw.routing !== undefined) {
    if (!Array.isArray(raw.routing)) return fail('routing', 'must be a list');
    raw.routing.forEach((c: unknown, i) => {
      const ok =
        Array.isArray(c) &&
        c.length === 4 &&
        c.slice(0, 3).every((x) => typeof x === 'string') &&
        CHECK_STATUSES.includes(c[3] as string);
      if (!ok) fail(`routing[${i}]`, 'must be [vantage, name, answered region, status]');
    });
  }
  if (raw.incidents !== undefined) {
    if (!isRecord(raw.incidents))
      return fail('incidents', 'must be an object of incident key → issue number');
    for (const [k, n] of Object.entries(raw.incidents))
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
        fail(`incidents.${k}`, 'must be an issue number (0: none)');
  }
  return raw as unknown as HistoryLine;
}
