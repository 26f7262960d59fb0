import { spawn } from 'node:child_process';

/** One line of the bench table: a measurement and its baseline, taken in the same run. */
export interface BenchRow {
  section: string;
  /** Stable id for bench/results.json (derived from section and measurement when absent). */
  id?: string;
  /** Numbers behind `ours`/`baseline` for results.json, in `unit`. */
  oursValue?: number;
  baselineValue?: number;
  unit?: string;
  what: string;
  ours: string;
  baseline: string;
  /** ours / baseline of the medians (lower is better for times); undefined when not comparable. */
  ratio?: number;
  note?: string;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `12.3 ms` / `4.56 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** `1.2 MiB` / `340 KiB`. */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

/** Run `fn` `runs` times (after `warmup` unmeasured runs) and return each duration in ms. */
export async function repeat(runs: number, fn: () => Promise<void>, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export interface SpawnTiming {
  /** Spawn to the first byte on stdout (undefined when nothing was printed). */
  firstLineMs?: number;
  exitMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn a command and time its first stdout output and its exit. */
export function timeSpawn(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<SpawnTiming> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstLineMs: number | undefined;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      firstLineMs ??= performance.now() - t0;
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ firstLineMs, exitMs: performance.now() - t0, code, stdout, stderr });
    });
  });
}

/** Render rows as a Markdown table. */
export function renderTable(rows: BenchRow[]): string {
  const head = '| # | measurement | coder-gitops | baseline | ratio | note |\n|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.section} | ${r.what} | ${r.ours} | ${r.baseline} | ${r.ratio === undefined ? '–' : `${r.ratio.toFixed(2)}×`} | ${r.note ?? ''} |`,
  );
  return [head, ...body].join('\n');
}

/** `12.3 ms` → [12.3, 'ms']; `4.56 s` → [4560, 'ms']; `26` → [26, 'count']. */
function parseValue(text: string): { value?: number; unit?: string } {
  const m = /^(-?[\d.]+)\s*(ms|s|MiB|KiB)?/.exec(text.trim());
  if (!m) return {};
  const n = Number(m[1]);
  if (m[2] === 's') return { value: n * 1000, unit: 'ms' };
  return { value: n, unit: m[2] ?? 'count' };
}

/** A stable id from the section and the measurement (`4-plan-3-regions-wall-time`). */
function slug(row: BenchRow): string {
  const text = `${row.section}-${row.what}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return text.slice(0, 80);
}

/** Every row as results.json holds it: stable id, ours, baseline, ratio, unit. */
export function toJsonRows(rows: BenchRow[]) {
  return rows.map((r) => {
    const ours = r.oursValue !== undefined ? { value: r.oursValue, unit: r.unit } : parseValue(r.ours);
    const baseline =
      r.baselineValue !== undefined ? { value: r.baselineValue, unit: r.unit } : parseValue(r.baseline);
    return {
      id: r.id ?? slug(r),
      section: r.section,
      what: r.what,
      ours: ours.value ?? null,
      baseline: baseline.value ?? null,
      ratio: r.ratio ?? null,
      unit: r.unit ?? ours.unit ?? baseline.unit ?? null,
      oursText: r.ours,
      baselineText: r.baseline,
      note: r.note ?? '',
    };
  });
}
