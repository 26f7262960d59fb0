import { coderSummary } from './coder-summary.js';
import type { ApplyReport, AppliedStack, RegionApplyReport } from '../apply/apply-types.js';
import { clip, codeSpan, escapeText } from './markdown-escape.js';

const ICON: Record<string, string> = {
  applied: '✅',
  created: '🆕',
  updated: '✅',
  'no-changes': '➖',
  'dry-run': '🔍',
  failed: '❌',
  refused: '⛔',
  'not-reached': '⏸️',
  skipped: '⏭️',
};

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function dnsText(r: RegionApplyReport): string {
  if (!r.dns) return r.status === 'failed' ? 'not reached' : '–';
  const routing =
    r.dns.inLatencyRouting === undefined
      ? ''
      : r.dns.inLatencyRouting
        ? ', in latency routing'
        : ', out of latency routing';
  const changes = r.dns.changes.length
    ? `: ${r.dns.changes.length} change${r.dns.changes.length === 1 ? '' : 's'}`
    : '';
  return `${r.dns.mode} → ${r.dns.status}${changes}${routing}`;
}

function stackRow(s: AppliedStack): string {
  const where = s.deployRegion !== s.region ? ` (in ${s.deployRegion})` : '';
  const reviewed =
    s.result === 'not-reached'
      ? ''
      : s.reviewed
        ? 'reviewed: true'
        : s.decision
          ? `reviewed: false (${s.differences?.length ? `${s.differences.length} difference${s.differences.length === 1 ? '' : 's'}` : 'no reviewed change set'})`
          : '';
  return `| ${escapeText(s.region)} | ${codeSpan(s.stackName)}${escapeText(where)} | ${ICON[s.result] ?? ''} ${s.result} | ${
    s.changeSet ? codeSpan(s.changeSet) : ''
  } | ${reviewed}${s.risk ? ` (${s.risk})` : ''} | ${seconds(s.durationMs)} |`;
}

/** The apply job summary: outcome, per-region table, every stack, then what failed and why. */
export function renderApplyMarkdown(report: ApplyReport, opts: { runUrl?: string } = {}): string {
  const lines: string[] = [];
  const title = report.account ? 'apply (account stacks)' : 'apply-region';
  lines.push(`## ${ICON[report.status] ?? ''} ${title}: ${report.status}`);
  lines.push('');
  const reviewed = report.reviewed
    ? `reviewed in pull request #${report.reviewed.prNumber} at ${codeSpan(report.reviewed.headSha.slice(0, 12), false)}`
    : 'no reviewed pull request for this commit';
  lines.push(
    `Commit ${codeSpan(report.headSha.slice(0, 12), false)}, ${reviewed}; dns ${codeSpan(report.dns, false)}${
      report.dryRun ? ', **dry run** (nothing executed)' : ''
    }; ${seconds(report.durationMs)}.`,
  );
  if (report.errors.length > 0) {
    lines.push('', '### What failed', '');
    for (const e of report.errors) lines.push(`- ${escapeText(clip(e, 2000))}`);
  }
  if (report.regions.length > 0) {
    lines.push('', '| region | status | cluster | verify | DNS |', '|---|---|---|---|---|');
    for (const r of report.regions) {
      const cluster = `${r.cluster.status}${r.cluster.reason ? `: ${escapeText(r.cluster.reason)}` : ''}`;
      const verify = r.verify ? `${r.verify.status}: ${escapeText(clip(r.verify.summary, 300))}` : '–';
      lines.push(
        `| ${escapeText(r.region)} | ${ICON[r.status] ?? ''} ${r.status} | ${cluster} | ${verify} | ${escapeText(dnsText(r))} |`,
      );
    }
  }
  const coder = report.regions.filter((r) => r.coder);
  if (coder.length > 0) {
    lines.push('', '### Coder', '');
    for (const r of coder)
      lines.push(`- ${escapeText(r.region)}: ${escapeText(clip(coderSummary(r.coder), 2000))}`);
  }
  const stacks = report.regions.flatMap((r) => r.stacks);
  if (stacks.length > 0) {
    lines.push(
      '',
      '### Stacks',
      '',
      '| region | stack | result | change set (made by apply from main) | matches the review | duration |',
      '|---|---|---|---|---|---|',
    );
    for (const s of stacks) lines.push(stackRow(s));
    const detailed = stacks.filter((s) => s.message || s.changes.length > 0 || s.differences?.length);
    for (const s of detailed) {
      lines.push('', `<details><summary>${s.stackName}: ${s.result}</summary>`, '');
      if (s.message) lines.push(escapeText(clip(s.message, 4000)), '');
      if (s.differences?.length) {
        lines.push(
          `Differs from the reviewed change set ${s.reviewedChangeSet ? codeSpan(s.reviewedChangeSet) : ''}:`,
          '',
        );
        for (const d of s.differences.slice(0, 100)) lines.push(`- ${escapeText(d)}`);
        lines.push('');
      }
      for (const c of s.changes.slice(0, 200)) lines.push(`- ${escapeText(c)}`);
      lines.push('', '</details>');
    }
  }
  const corrected = report.regions.flatMap((r) =>
    (r.cluster.fluxCorrections ?? []).map((c) => ({ region: r.region, ...c })),
  );
  if (corrected.length > 0) {
    lines.push('', '### Changes made by hand that Flux put back', '');
    for (const c of corrected) {
      lines.push(
        `- ${escapeText(c.region)} HelmRelease ${escapeText(`${c.namespace}/${c.helmRelease}`)}: ` +
          `${c.reason === 'DriftCorrected' ? 'corrected' : '**correction failed**'}${c.at ? ` at ${c.at}` : ''}: ` +
          escapeText(clip(c.message.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; '), 1000)),
      );
    }
  }
  const notes = report.regions.filter((r) => r.dns?.reason && r.dns.status !== 'failed');
  if (notes.length > 0) {
    lines.push('', '### DNS', '');
    for (const r of notes) lines.push(`- ${escapeText(r.region)}: ${escapeText(r.dns!.reason!)}`);
  }
  if (opts.runUrl) lines.push('', `[Run log](${opts.runUrl})`);
  return `${lines.join('\n')}\n`;
}

function pad(cells: string[][]): string[] {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** The same for a terminal (the CLI): a status line, a stack table, and the failures. */
export function renderApplyTerminal(report: ApplyReport): string {
  const out: string[] = [`apply: ${report.status} (${seconds(report.durationMs)})`];
  const rows = [['REGION', 'STACK', 'RESULT', 'REVIEWED', 'CHANGE SET', 'TIME']];
  const stacks = report.regions.flatMap((r) => r.stacks);
  for (const s of stacks) {
    rows.push([
      s.region,
      s.stackName,
      s.result,
      String(s.reviewed),
      s.changeSet ?? '',
      seconds(s.durationMs),
    ]);
  }
  if (rows.length > 1) out.push('', ...pad(rows));
  const regions = [['REGION', 'STATUS', 'CLUSTER', 'DNS']];
  for (const r of report.regions) regions.push([r.region, r.status, r.cluster.status, dnsText(r)]);
  if (regions.length > 1) out.push('', ...pad(regions));
  for (const s of stacks) {
    for (const d of s.differences ?? [])
      out.push(`${s.stackName}: differs from ${s.reviewedChangeSet ?? 'the review'}: ${d}`);
  }
  if (report.errors.length > 0) out.push('', ...report.errors.map((e) => `error: ${e}`));
  return `${out.join('\n')}\n`;
}
