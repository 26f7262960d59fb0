import {
  syncIncidentFindings,
  type IncidentFinding,
  type IncidentKind,
  type IncidentSyncResult,
} from '../github/incident-issues.js';
import { createOctokit } from '../github/octokit.js';
import { escapeText } from '../report/markdown-escape.js';
import type { DriftReport, RecordDrift } from './drift-types.js';
import { describeManualChange } from '../review/drift-overwrite-rule.js';

/** Drift issues: their own label and marker, so synthetics never closes them and they never close its issues. */
export const DRIFT_INCIDENTS: IncidentKind = {
  label: 'coder-gitops-drift',
  marker: 'drift',
  describe: (key, since) =>
    `The drift job (\`coder-gitops drift\`) finds **${key}** changed by hand since ${since}.`,
  footer:
    'This issue is updated while it differs and closed by the first drift run that finds it back in sync with Git ' +
    '(restore it with apply-region, or change Git to match and merge).',
  recovered: (key, at, lasted, since) =>
    `Back in sync at ${at}: **${key}** matches Git again. It differed for ${lasted} (since ${since}).`,
};

/** The incident key of a record set: `dns:demo.test/A/us-west-2`. */
export function recordKey(r: Pick<RecordDrift, 'name' | 'type' | 'setIdentifier'>): string {
  return `dns:${r.name}/${r.type}${r.setIdentifier ? `/${r.setIdentifier}` : ''}`;
}

function recordLine(r: RecordDrift): string {
  const fields = r.fields
    .map(
      (f) =>
        `\`${f.field}\`: Git/apply ${escapeText(f.expected ?? '(none)')}, actual ${escapeText(f.actual ?? '(none)')}`,
    )
    .join('; ');
  return `- **${r.status}** ${escapeText(r.name)} ${r.type}${r.setIdentifier ? ` (latency ${escapeText(r.setIdentifier)})` : ''}${fields ? `: ${fields}` : ''}${r.reason ? ` (${escapeText(r.reason)})` : ''}`;
}

/**
 * One finding per drifted stack (`stack:<name>`) and per drifted record set. Not-checked resources and
 * emulators without a drift API open nothing: they are in the report, not incidents.
 */
export function driftFindings(report: DriftReport): IncidentFinding[] {
  const out: IncidentFinding[] = [];
  for (const s of report.stacks) {
    if (s.drifted.length === 0) continue;
    out.push({
      key: `stack:${s.stackName}`,
      title: `coder-gitops drift: stack ${s.stackName} changed by hand`,
      lines: [
        ...s.drifted.map((r) => `- ${escapeText(describeManualChange(r))}`),
        ...(s.notChecked.length > 0
          ? [`- not checked: ${escapeText(s.notChecked.map((r) => `${r.logicalId} (${r.type})`).join(', '))}`]
          : []),
      ],
    });
  }
  for (const region of report.dns) {
    for (const r of region.records) {
      if (r.status === 'in-sync' || r.status === 'not-checked') continue;
      out.push({
        key: recordKey(r),
        title: `coder-gitops drift: ${r.name} ${r.type}${r.setIdentifier ? ` (latency ${r.setIdentifier})` : ''} changed by hand`,
        lines: [recordLine(r), `- compared with ${escapeText(region.source)}`],
      });
    }
  }
  return out;
}

/** Open, update and close the drift issues for this run's findings (label, marker and author, as synthetics does). */
export async function syncDriftIncidents(opts: {
  report: DriftReport;
  repo: { owner: string; repo: string };
  token: string | undefined;
  apiUrl: string;
  now: Date;
  /** Only issues this login wrote are ours (default github-actions[bot], the workflow token). */
  author?: string;
}): Promise<IncidentSyncResult> {
  return syncIncidentFindings(
    createOctokit(opts.token, opts.apiUrl),
    opts.repo,
    driftFindings(opts.report),
    opts.now,
    { commentEvery: 'change' },
    DRIFT_INCIDENTS,
    opts.author,
  );
}
