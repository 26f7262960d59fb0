import type {
  CheckName,
  CheckResult,
  CheckStatus,
  PhaseTimings,
  RoutingMatrix,
} from '../verify/check-result.js';
import type { VerifyReport } from '../verify/verify-engine.js';
import { escapeText } from './markdown-escape.js';

const ICON: Record<CheckStatus, string> = {
  pass: '✅',
  warn: '⚠️',
  degraded: '🟠',
  fail: '❌',
  'not-run': '⏭️',
};

const FAMILY_TITLE: Record<CheckName, string> = {
  'cold-start': 'Aurora cold start',
  https: 'HTTPS',
  tls: 'TLS certificates',
  versions: 'Coder versions',
  health: 'Route 53 health checks',
  routing: 'Latency routing',
  coder: 'Coder: workspace proxies, health report, provisioners',
};

const ORDER: CheckName[] = ['https', 'tls', 'versions', 'coder', 'cold-start', 'health', 'routing'];

function ms(n: number | undefined): string {
  return n === undefined ? '–' : `${Math.round(n)}`;
}

function status(r: { status: CheckStatus }): string {
  return `${ICON[r.status]} ${r.status}`;
}

function tries(r: CheckResult): string {
  if (r.status === 'not-run') return '–';
  return r.flaky ? `${r.attempts} (flaky)` : `${r.attempts}`;
}

function result(r: CheckResult): string {
  const notes = r.notes.length ? `<br>${r.notes.map(escapeText).join('<br>')}` : '';
  return `${escapeText(r.summary)}${notes}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function familyTable(check: CheckName, rs: CheckResult[]): string[] {
  if (check === 'https') {
    const t = (r: CheckResult): PhaseTimings => r.timings ?? {};
    return [
      row([
        'Status',
        'Target',
        'HTTP',
        'DNS ms',
        'Connect ms',
        'TLS ms',
        'First byte ms',
        'Total ms',
        'Tries',
        'Result',
      ]),
      row(Array(10).fill('---')),
      ...rs.map((r) =>
        row([
          status(r),
          escapeText(r.target),
          String(r.details.statusCode ?? '–'),
          ms(t(r).dns),
          ms(t(r).connect),
          ms(t(r).tls),
          ms(t(r).firstByte),
          ms(t(r).total),
          tries(r),
          result(r),
        ]),
      ),
    ];
  }
  if (check === 'tls') {
    return [
      row(['Status', 'Host', 'Days left', 'Protocol', 'Result']),
      row(Array(5).fill('---')),
      ...rs.map((r) =>
        row([
          status(r),
          escapeText(r.target),
          String(r.details.daysToExpiry ?? '–'),
          escapeText(String(r.details.protocol ?? '–')),
          result(r),
        ]),
      ),
    ];
  }
  return [
    row(['Status', 'Target', 'Tries', 'Result']),
    row(Array(4).fill('---')),
    ...rs.map((r) => row([status(r), escapeText(r.target), tries(r), result(r)])),
  ];
}

function matrixTable(m: RoutingMatrix, source: 'dns' | 'route53'): string[] {
  const cells = m.cells.filter((c) => c.source === source);
  if (!cells.length) return [];
  const lines = [
    `**Vantage point × name → region** (${source === 'dns' ? 'nameservers, EDNS Client Subnet' : 'Route 53 TestDNSAnswer'})`,
    '',
    row(['Vantage point', ...m.names.map(escapeText)]),
    row(Array(m.names.length + 1).fill('---')),
  ];
  for (const v of m.vantagePoints) {
    const line = m.names.map((n) => {
      const c = cells.find((x) => x.vantage === v && x.name === n);
      if (!c) return '–';
      const got = c.answeredRegion ?? (c.addresses.length ? c.addresses.join(', ') : 'no answer');
      const exp = c.answeredRegion === c.expectedRegion ? '' : ` (expected ${c.expectedRegion ?? '?'})`;
      return `${ICON[c.status]} ${escapeText(got)}${escapeText(exp)}`;
    });
    lines.push(row([escapeText(v), ...line]));
  }
  lines.push('');
  return lines;
}

/** The job summary of a verify run: one table per check family, the routing matrix, known behaviours. */
export function renderVerifyMarkdown(report: VerifyReport, title = 'verify-endpoints'): string {
  const out: string[] = [];
  const count = (s: CheckStatus): number => report.results.filter((r) => r.status === s).length;
  const head: Record<VerifyReport['status'], string> = {
    pass: '✅ pass',
    degraded: '🟠 degraded',
    fail: '❌ fail',
    'not-run': '⏭️ not run',
  };
  out.push(`## ${escapeText(title)}: ${head[report.status]}`, '');
  out.push(
    `${count('pass')} passed, ${count('warn')} warnings, ${count('degraded')} degraded, ${count('fail')} failed, ` +
      `${count('not-run')} not run · started ${report.startedAt} · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
  );
  for (const check of ORDER) {
    const rs = report.results.filter((r) => r.check === check);
    if (!rs.length) continue;
    out.push(`### ${FAMILY_TITLE[check]}`, '', ...familyTable(check, rs), '');
    if (check === 'routing' && report.matrix) {
      out.push(...matrixTable(report.matrix, 'dns'), ...matrixTable(report.matrix, 'route53'));
    }
  }
  if (report.known.length) {
    out.push('### Known behaviours (reported, not failures)', '');
    for (const k of report.known) {
      const what = k.id === 'aurora-cold-start' ? 'Aurora cold start' : 'plain HTTP on port 80';
      out.push(`- **${what}** ${escapeText(k.target)}: ${escapeText(k.summary)}`);
    }
    out.push('');
  }
  return out.join('\n');
}
