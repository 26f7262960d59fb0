import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyReport } from '../verify/verify-engine.js';
import { formatHistory, HISTORY_FILE } from './history-file.js';
import { historyLineFromReport, type HistoryLine } from './history-line.js';
import { renderStatusPage, type RenderedPage } from './render-status-page.js';

const RUN_MS = 15 * 60 * 1000;
const EARLIER_RUNS = 4;
/** Which of the earlier runs shows the degraded region (0 = oldest). */
const DEGRADED_RUN = 1;

export interface SandboxStatusPage {
  historyFile: string;
  page: RenderedPage;
  degradedRegion?: string;
}

/**
 * The sandbox's status page: the real verify report as the newest run, after {@link EARLIER_RUNS}
 * earlier runs made from it (15 minutes apart), one of which has the last region degraded with a slow
 * first byte. Those earlier runs are simulated and say so in the reason they carry; the sandbox runs
 * verify once, and a real slow region would need a stand-in that misbehaves on cue.
 */
export function writeSandboxStatusPage(report: VerifyReport, outRoot: string): SandboxStatusPage {
  const real = historyLineFromReport(report, `sandbox-${EARLIER_RUNS + 1}`);
  const regions = Object.keys(real.regions);
  const degradedRegion = regions[regions.length - 1];
  const lines: HistoryLine[] = [];
  const end = Date.parse(real.at);
  for (let i = 0; i < EARLIER_RUNS; i++) {
    const line: HistoryLine = structuredClone(real);
    line.id = `sandbox-${i + 1}`;
    line.at = new Date(end - (EARLIER_RUNS - i) * RUN_MS).toISOString();
    if (i === DEGRADED_RUN && degradedRegion) {
      const r = line.regions[degradedRegion]!;
      r.state = 'degraded';
      if (r.ms?.firstByte !== undefined) r.ms.firstByte = Math.round(r.ms.firstByte * 6 * 10) / 10 + 400;
      r.why = [`https ${degradedRegion}: first byte slow (simulated by the sandbox)`];
      line.status = line.status === 'fail' ? 'fail' : 'degraded';
      line.incidents = { ...line.incidents, [`https:${degradedRegion}`]: 0 };
    }
    lines.push(line);
  }
  lines.push(real);
  const historyDir = join(outRoot, 'history');
  mkdirSync(historyDir, { recursive: true });
  const historyFile = join(historyDir, HISTORY_FILE);
  writeFileSync(historyFile, formatHistory(lines));
  const page = renderStatusPage(lines, join(outRoot, 'site'), {
    renderedAt: new Date(),
    title: 'Coder status (sandbox)',
    source: `the sandbox: its verify run, after ${EARLIER_RUNS} simulated earlier runs`,
  });
  return { historyFile, page, degradedRegion };
}
