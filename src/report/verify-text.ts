import type { VerifyReport } from '../verify/verify-engine.js';
import { textTable } from './text-table.js';

/** The verify report for a terminal: one row per check, the routing matrix, known behaviours. */
export function renderVerifyText(report: VerifyReport): string {
  const out: string[] = [
    `verify: ${report.status.toUpperCase()} (${report.results.length} checks, ${report.durationMs} ms)`,
    '',
  ];
  out.push(
    textTable(
      ['status', 'check', 'target', 'summary'],
      report.results.map((r) => [
        r.status + (r.flaky ? ' (flaky)' : ''),
        r.check,
        r.target,
        r.summary +
          (r.reason && r.status !== 'pass' && !r.summary.includes(r.reason) ? ` (${r.reason})` : ''),
      ]),
    ),
  );
  const m = report.matrix;
  if (m && m.cells.length) {
    out.push('', 'latency routing (vantage point × name → region):');
    out.push(
      textTable(
        ['vantage', ...m.names],
        m.vantagePoints.map((vp) => [
          vp,
          ...m.names.map((n) => {
            const c = m.cells.find((x) => x.vantage === vp && x.name === n && x.source === 'dns');
            if (!c) return '-';
            return `${c.answeredRegion ?? c.addresses.join(',') ?? '?'}${c.status === 'pass' ? '' : ` [${c.status}, expected ${c.expectedRegion ?? '?'}]`}`;
          }),
        ]),
      ),
    );
  }
  if (report.known.length) {
    out.push('', 'known behaviours (not failures):');
    for (const k of report.known) out.push(`  - ${k.target}: ${k.summary}`);
  }
  return out.join('\n');
}
