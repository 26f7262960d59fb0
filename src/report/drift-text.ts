import { describeManualChange } from '../review/drift-overwrite-rule.js';
import type { DriftReport } from '../drift/drift-types.js';
import { summarizeDrift } from '../drift/drift-engine.js';
import { textTable } from './text-table.js';

/** The drift report for a terminal (and the job log): stacks, record sets, what was not checked, Flux. */
export function renderDriftText(report: DriftReport): string {
  const out: string[] = [];
  if (report.stacks.length > 0) {
    out.push('CloudFormation');
    out.push(
      textTable(
        ['stack', 'region', 'status', 'drifted', 'not checked'],
        report.stacks.map((s) => [
          s.stackName,
          s.deployRegion,
          s.missing ? 'not deployed' : s.status,
          String(s.drifted.length),
          String(s.notChecked.length),
        ]),
      ),
    );
    for (const s of report.stacks) {
      for (const r of s.drifted) out.push(`  DRIFTED ${s.stackName}: ${describeManualChange(r)}`);
      for (const r of s.notChecked)
        out.push(
          `  not checked ${s.stackName}: ${r.logicalId} (${r.type})${r.reason ? `: ${r.reason}` : ''}`,
        );
      if (s.reason && s.status !== 'in-sync') out.push(`  ${s.stackName}: ${s.reason}`);
    }
    out.push('');
  }
  if (report.dns.length > 0) {
    out.push('Route 53 (records apply-region owns)');
    const rows = report.dns.flatMap((d) =>
      d.records.map((r) => [
        `${r.name} ${r.type}${r.setIdentifier ? ` (latency ${r.setIdentifier})` : ''}`,
        d.region,
        r.status,
        r.fields.map((f) => `${f.field}: ${f.expected ?? '(none)'} → ${f.actual ?? '(none)'}`).join('; ') ||
          (r.status === 'in-sync' ? '' : (r.reason ?? '')),
      ]),
    );
    out.push(textTable(['record', 'region', 'status', 'difference (expected → actual)'], rows));
    for (const d of report.dns) out.push(`  ${d.region}: compared with ${d.source}`);
    out.push('');
  }
  for (const f of report.flux) out.push(`Flux ${f.region}: ${f.status}: ${f.reason}`);
  for (const e of report.errors) out.push(`ERROR ${e}`);
  out.push(summarizeDrift(report));
  return out.join('\n');
}
