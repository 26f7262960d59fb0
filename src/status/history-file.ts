import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { parseHistoryLine, serializeHistoryLine, type HistoryLine } from './history-line.js';

/** The history file inside the history branch (and inside `--history DIR`). */
export const HISTORY_FILE = 'runs.jsonl';

/**
 * How much history is kept: the page's longest window (30 days) plus a day, so the 30-day uptime is
 * whole right after a prune. At one run every 15 minutes that is ~3,000 lines.
 */
export const HISTORY_WINDOW_DAYS = 31;

/** A hard cap on lines whatever their times say (a runaway writer cannot grow the file without bound). */
export const HISTORY_MAX_LINES = 6000;

const DAY_MS = 86_400_000;

/** Parse a history file's text; blank lines are skipped, a bad line is a ConfigurationError naming it. */
export function parseHistoryText(text: string, file: string): HistoryLine[] {
  const out: HistoryLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (t) out.push(parseHistoryLine(t, file, i + 1));
  });
  return out;
}

/** Read `DIR/runs.jsonl`; a missing directory or file is an error naming what was expected. */
export function readHistoryDir(dir: string): HistoryLine[] {
  const file = join(dir, HISTORY_FILE);
  if (!existsSync(file)) {
    throw new ConfigurationError(
      `no history here: expected ${HISTORY_FILE} (one JSON line per synthetics run, as history-append writes it)`,
      { file },
    );
  }
  return parseHistoryText(readFileSync(file, 'utf8'), file);
}

/**
 * One entry per run id (the later line wins: a re-appended run replaces itself), oldest first,
 * nothing older than the window before `now`, at most {@link HISTORY_MAX_LINES} lines.
 */
export function normalizeHistory(
  lines: HistoryLine[],
  now: Date,
  windowDays: number = HISTORY_WINDOW_DAYS,
): HistoryLine[] {
  const byId = new Map<string, HistoryLine>();
  for (const l of lines) {
    byId.delete(l.id);
    byId.set(l.id, l);
  }
  const cutoff = now.getTime() - windowDays * DAY_MS;
  const kept = [...byId.values()]
    .filter((l) => Date.parse(l.at) >= cutoff)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id));
  return kept.slice(Math.max(0, kept.length - HISTORY_MAX_LINES));
}

/** The file's text for `lines` (one JSON line each, trailing newline). */
export function formatHistory(lines: HistoryLine[]): string {
  return lines.map((l) => `${serializeHistoryLine(l)}\n`).join('');
}
