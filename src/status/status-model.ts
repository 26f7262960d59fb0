import type { CheckStatus } from '../verify/check-result.js';
import { downsampleSeries, MAX_CHART_POINTS, type Series } from './downsample.js';
import { PHASES, worseState, type HistoryLine, type RegionState } from './history-line.js';

/**
 * What the status page shows, computed from the history alone. Windows end at the last run (not at
 * render time), so the same history always renders the same page; a stale history says so instead.
 */

export type ShownState = RegionState | 'no-data';

export const UPTIME_WINDOWS = [
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { id: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;

export interface Uptime {
  /** Share of the window's runs in which the region was not down (degraded counts as up), 0–1. */
  ratio?: number;
  runs: number;
  down: number;
  degraded: number;
}

export interface RegionView {
  name: string;
  state: ShownState;
  uptime: Record<(typeof UPTIME_WINDOWS)[number]['id'], Uptime>;
  tlsDays?: number;
  version?: string;
  why: string[];
  /** Latest first-byte time (ms). */
  firstByteMs?: number;
  /** The chart's data, downsampled: `t` (s) then one array per phase in {@link PHASES} order. */
  latency: Series;
  /** Runs that measured the region at all (before downsampling). */
  samples: number;
}

export interface RoutingCell {
  from: string;
  to: string;
  /** The answer most runs in the bucket got ('' = no region's record). */
  region: string;
  /** Every answer in the bucket and how many runs got it (a failover shows up as a second answer). */
  answers: Record<string, number>;
  /** The worst status in the bucket. */
  status: CheckStatus;
  runs: number;
}

export interface RoutingRow {
  vantage: string;
  name: string;
  latest?: { region: string; status: CheckStatus };
  /** One cell per time bucket that has runs, oldest first. */
  cells: RoutingCell[];
}

export interface Incident {
  key: string;
  check: string;
  /** The region, or `global`. */
  scope: string;
  start: string;
  /** First run that no longer failed; undefined while it still fails. */
  end?: string;
  durationMs: number;
  issue?: number;
  runs: number;
}

export interface StatusModel {
  overall: ShownState;
  firstRun?: string;
  lastRun?: string;
  runs: number;
  regions: RegionView[];
  regionNames: string[];
  routing: RoutingRow[];
  routingBuckets: number;
  incidents: Incident[];
}

export const ROUTING_BUCKETS = 48;

const STATUS_RANK: Record<CheckStatus, number> = { 'not-run': 0, pass: 1, warn: 2, degraded: 3, fail: 4 };

function ms(at: string): number {
  return Date.parse(at);
}

function uptimeOf(runs: HistoryLine[], region: string, end: number, windowMs: number): Uptime {
  const u: Uptime = { runs: 0, down: 0, degraded: 0 };
  for (const l of runs) {
    if (ms(l.at) <= end - windowMs) continue;
    const s = l.regions[region];
    if (!s) continue;
    u.runs++;
    if (s.state === 'down') u.down++;
    if (s.state === 'degraded') u.degraded++;
  }
  if (u.runs) u.ratio = (u.runs - u.down) / u.runs;
  return u;
}

function regionView(runs: HistoryLine[], name: string, end: number): RegionView {
  const last = runs[runs.length - 1];
  const latest = last?.regions[name];
  const seen = runs.filter((l) => l.regions[name]);
  const raw: Series = { t: [], values: PHASES.map(() => []) };
  for (const l of seen) {
    raw.t.push(Math.round(ms(l.at) / 1000));
    PHASES.forEach((p, i) => raw.values[i]!.push(l.regions[name]!.ms?.[p] ?? null));
  }
  const newest = seen[seen.length - 1]?.regions[name];
  return {
    name,
    state: latest?.state ?? 'no-data',
    uptime: {
      '24h': uptimeOf(runs, name, end, UPTIME_WINDOWS[0].ms),
      '7d': uptimeOf(runs, name, end, UPTIME_WINDOWS[1].ms),
      '30d': uptimeOf(runs, name, end, UPTIME_WINDOWS[2].ms),
    },
    tlsDays: newest?.tlsDays,
    version: newest?.version,
    why: latest?.why ?? [],
    firstByteMs: latest?.ms?.firstByte,
    latency: downsampleSeries(raw, MAX_CHART_POINTS),
    samples: seen.length,
  };
}

function routingRows(runs: HistoryLine[]): RoutingRow[] {
  const rows = new Map<string, RoutingRow & { bucket: number }>();
  const first = runs[0] ? ms(runs[0].at) : 0;
  const span = runs.length ? ms(runs[runs.length - 1]!.at) - first : 0;
  const width = span / ROUTING_BUCKETS;
  const last = runs[runs.length - 1];
  for (const l of runs) {
    const b = width > 0 ? Math.min(ROUTING_BUCKETS - 1, Math.floor((ms(l.at) - first) / width)) : 0;
    for (const [vantage, name, region, status] of l.routing ?? []) {
      const key = `${vantage}\u0000${name}`;
      let row = rows.get(key);
      if (!row) {
        row = { vantage, name, cells: [], bucket: -1 };
        rows.set(key, row);
      }
      if (l === last) row.latest = { region, status };
      let cell = row.cells[row.cells.length - 1];
      if (!cell || row.bucket !== b) {
        // No prototype: an answer named like an Object.prototype key is counted like any other.
        const answers = Object.create(null) as Record<string, number>;
        cell = { from: l.at, to: l.at, region, answers, status, runs: 0 };
        row.cells.push(cell);
        row.bucket = b;
      }
      cell.to = l.at;
      cell.runs++;
      cell.answers[region] = (cell.answers[region] ?? 0) + 1;
      if (STATUS_RANK[status] > STATUS_RANK[cell.status]) cell.status = status;
      if (cell.answers[region]! > (cell.answers[cell.region] ?? 0)) cell.region = region;
    }
  }
  return [...rows.values()]
    .map(({ bucket: _bucket, ...row }) => row)
    .sort((a, b) => a.vantage.localeCompare(b.vantage) || a.name.localeCompare(b.name));
}

/** Spans of consecutive runs in which an incident key was failing; newest first. */
export function findIncidents(runs: HistoryLine[]): Incident[] {
  const open = new Map<string, Incident>();
  const done: Incident[] = [];
  for (const l of runs) {
    const now = l.incidents ?? {};
    for (const [key, inc] of open) {
      if (key in now) continue;
      inc.end = l.at;
      inc.durationMs = ms(l.at) - ms(inc.start);
      done.push(inc);
      open.delete(key);
    }
    for (const [key, issue] of Object.entries(now)) {
      const [check = key, scope = 'global'] = key.split(':');
      const inc = open.get(key) ?? { key, check, scope, start: l.at, durationMs: 0, runs: 0 };
      inc.runs++;
      inc.durationMs = ms(l.at) - ms(inc.start);
      if (issue > 0) inc.issue = issue;
      open.set(key, inc);
    }
  }
  return [...done, ...open.values()].sort((a, b) => ms(b.start) - ms(a.start) || a.key.localeCompare(b.key));
}

/** The page's model from a normalised history (oldest first). */
export function buildStatusModel(runs: HistoryLine[]): StatusModel {
  const last = runs[runs.length - 1];
  const end = last ? ms(last.at) : 0;
  const names = new Set<string>();
  for (const l of runs) for (const n of Object.keys(l.regions)) names.add(n);
  const regionNames = [...names].sort();
  const regions = regionNames.map((n) => regionView(runs, n, end));
  let overall: ShownState = 'no-data';
  if (last) {
    // A global check (apex, routing, versions) failing counts too, not only a region's own.
    let s: RegionState = last.status === 'fail' ? 'down' : last.status === 'degraded' ? 'degraded' : 'up';
    for (const r of Object.values(last.regions)) s = worseState(s, r.state);
    overall = s;
  }
  return {
    overall,
    firstRun: runs[0]?.at,
    lastRun: last?.at,
    runs: runs.length,
    regions,
    regionNames,
    routing: routingRows(runs),
    routingBuckets: ROUTING_BUCKETS,
    incidents: findIncidents(runs),
  };
}
