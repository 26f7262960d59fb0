import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHistory } from '../src/status/history-file.js';
import { loadPageAssets, renderStatusPageFromDir } from '../src/status/render-status-page.js';
import { fixtureHistory, FIXTURE_RUNS } from '../test/helpers/status-history.js';
import { formatBytes, formatMs, median, repeat, type BenchRow } from './stats.js';

const BUDGET_MS = 1000;
const BUDGET_BYTES = 1024 * 1024;

/**
 * (8) The status page from 30 days of history at one run every 15 minutes (2,880 runs, 3 regions,
 * 6 routing cells each: the fixture of the browser test): read and parse runs.jsonl from disk,
 * build the model, downsample, render and write index.html, in one process. Against its budgets:
 * under a second, and the page with its assets (one file: uPlot, styles, data inlined) under 1 MiB.
 */
export async function benchStatusPage(runs: number): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'bench-status-page-'));
  try {
    const history = join(work, 'history');
    mkdirSync(history);
    const text = formatHistory(fixtureHistory());
    writeFileSync(join(history, 'runs.jsonl'), text);
    loadPageAssets(); // read uPlot once, as one CLI run does before rendering
    let bytes = 0;
    const times = await repeat(runs, async () => {
      bytes = renderStatusPageFromDir(history, join(work, 'site'), { renderedAt: new Date() }).bytes;
    });
    const ms = median(times);
    return [
      {
        section: '8',
        what: `status page: ${FIXTURE_RUNS} runs (30 days every 15 min, 3 regions) → index.html`,
        ours: formatMs(ms),
        baseline: `budget ${formatMs(BUDGET_MS)}`,
        ratio: ms / BUDGET_MS,
        note: `history file ${formatBytes(Buffer.byteLength(text))}${ms > BUDGET_MS ? '; OVER BUDGET' : ''}`,
      },
      {
        section: '8',
        what: 'status page with its assets (one self-contained file)',
        ours: formatBytes(bytes),
        baseline: `budget ${formatBytes(BUDGET_BYTES)}`,
        ratio: bytes / BUDGET_BYTES,
        note: bytes > BUDGET_BYTES ? 'OVER BUDGET' : 'uPlot 1.6.32 (~50 KiB) inlined; 480 points per chart',
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
