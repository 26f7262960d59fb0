import { createHash } from 'node:crypto';
import type { Octokit } from '@octokit/rest';
import { escapeText } from '../report/markdown-escape.js';
import type { CheckResult, CheckStatus } from '../verify/check-result.js';
import type { VerifyReport } from '../verify/verify-engine.js';
import { GITHUB_ACTIONS_LOGIN, isWrittenBy } from './trusted-author.js';

export const INCIDENT_LABEL = 'coder-gitops-incident';

const MARKER_RE = /<!-- coder-gitops:incident:([^\s]+) -->/;
const DIGEST_RE = /<!-- coder-gitops:digest:([0-9a-f]+) -->/;

/** The hidden marker that ties an issue to one incident key. */
export function incidentMarker(key: string): string {
  return `<!-- coder-gitops:incident:${key} -->`;
}

/** The incident key an issue body carries, if any. */
export function parseIncidentMarker(body: string | null | undefined): string | undefined {
  return MARKER_RE.exec(body ?? '')?.[1];
}

/** One failing check, grouped by incident key (`tls:us-west-2`). */
export interface IncidentFinding {
  key: string;
  title: string;
  /** Markdown lines describing what fails now. */
  lines: string[];
}

export interface OpenIncidentIssue {
  number: number;
  key: string;
  createdAt: string;
  /** Digest of the findings last written to the issue (from its body). */
  digest?: string;
}

export type IncidentAction =
  | { kind: 'open'; key: string; title: string; body: string }
  | { kind: 'update'; number: number; key: string; comment: string; body: string }
  | { kind: 'close'; number: number; key: string; comment: string; durationMs: number };

export interface IncidentPolicy {
  /** Which results open incidents: `fail` only (default) or `fail` and `degraded`. */
  include: 'fail' | 'fail-and-degraded';
  /** Comment on every failing run, or only when what fails changed (default). */
  commentEvery: 'run' | 'change';
}

export const DEFAULT_INCIDENT_POLICY: IncidentPolicy = { include: 'fail', commentEvery: 'change' };

function digestOf(lines: string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** `2 h 5 min`, `14 min`, `40 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Failing results grouped by incident key, in report order. */
export function incidentFindings(
  results: CheckResult[],
  policy: Pick<IncidentPolicy, 'include'> = DEFAULT_INCIDENT_POLICY,
): IncidentFinding[] {
  const counted: CheckStatus[] = policy.include === 'fail' ? ['fail'] : ['fail', 'degraded'];
  const byKey = new Map<string, IncidentFinding>();
  for (const r of results) {
    if (!counted.includes(r.status)) continue;
    const [check, scope] = r.incidentKey.split(':');
    const f = byKey.get(r.incidentKey) ?? {
      key: r.incidentKey,
      title: `coder-gitops incident: ${check}${scope && scope !== 'global' ? ` in ${scope}` : ''}`,
      lines: [],
    };
    f.lines.push(`- **${r.status}** ${escapeText(r.target)}: ${escapeText(r.summary)}`);
    byKey.set(r.incidentKey, f);
  }
  return [...byKey.values()];
}

function issueBody(f: IncidentFinding, since: string, digest: string): string {
  return [
    incidentMarker(f.key),
    `<!-- coder-gitops:digest:${digest} -->`,
    `Synthetic checks (verify-endpoints) report **${f.key}** failing since ${since}.`,
    '',
    ...f.lines,
    '',
    'This issue is updated while the check fails and closed by the first run that finds it healthy again.',
  ].join('\n');
}

/**
 * The incident state machine, pure: open an issue for a new failing key, update the open one while
 * it fails, close it (with the outage's duration) when the key no longer fails; duplicates of a
 * key beyond the oldest issue are closed.
 */
export function planIncidentActions(
  findings: IncidentFinding[],
  open: OpenIncidentIssue[],
  now: Date,
  policy: Pick<IncidentPolicy, 'commentEvery'> = DEFAULT_INCIDENT_POLICY,
): IncidentAction[] {
  const actions: IncidentAction[] = [];
  const primary = new Map<string, OpenIncidentIssue>();
  for (const issue of [...open].sort((a, b) => a.number - b.number)) {
    const first = primary.get(issue.key);
    if (!first) {
      primary.set(issue.key, issue);
      continue;
    }
    actions.push({
      kind: 'close',
      number: issue.number,
      key: issue.key,
      durationMs: 0,
      comment: `Duplicate of #${first.number} (same incident key \`${issue.key}\`).`,
    });
  }
  const failingKeys = new Set(findings.map((f) => f.key));
  for (const f of findings) {
    const digest = digestOf(f.lines);
    const existing = primary.get(f.key);
    if (!existing) {
      actions.push({
        kind: 'open',
        key: f.key,
        title: f.title,
        body: issueBody(f, now.toISOString(), digest),
      });
    } else if (policy.commentEvery === 'run' || existing.digest !== digest) {
      actions.push({
        kind: 'update',
        number: existing.number,
        key: f.key,
        comment: [`Still failing at ${now.toISOString()}:`, '', ...f.lines].join('\n'),
        body: issueBody(f, existing.createdAt, digest),
      });
    }
  }
  for (const [key, issue] of primary) {
    if (failingKeys.has(key)) continue;
    const durationMs = now.getTime() - new Date(issue.createdAt).getTime();
    actions.push({
      kind: 'close',
      number: issue.number,
      key,
      durationMs,
      comment: `Recovered at ${now.toISOString()}: **${key}** passes again. Outage lasted ${formatDuration(durationMs)} (since ${issue.createdAt}).`,
    });
  }
  return actions;
}

export interface IncidentSyncResult {
  opened: number[];
  updated: number[];
  closed: number[];
}

/**
 * Read open incident issues (label, marker and author: an issue anyone else opened with the marker is not
 * ours, and is neither updated nor closed), apply the state machine's actions; returns the issue numbers touched.
 */
export async function syncIncidents(
  octokit: Octokit,
  repo: { owner: string; repo: string },
  report: VerifyReport,
  now: Date,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
  author: string = GITHUB_ACTIONS_LOGIN,
): Promise<IncidentSyncResult> {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...repo,
    state: 'open',
    labels: INCIDENT_LABEL,
    per_page: 100,
  });
  const open: OpenIncidentIssue[] = [];
  for (const i of issues) {
    if ((i as { pull_request?: unknown }).pull_request) continue;
    if (!isWrittenBy(i, author)) continue;
    const key = parseIncidentMarker(i.body);
    if (!key) continue;
    open.push({ number: i.number, key, createdAt: i.created_at, digest: DIGEST_RE.exec(i.body ?? '')?.[1] });
  }
  const actions = planIncidentActions(incidentFindings(report.results, policy), open, now, policy);
  const out: IncidentSyncResult = { opened: [], updated: [], closed: [] };
  for (const a of actions) {
    if (a.kind === 'open') {
      const created = await octokit.rest.issues.create({
        ...repo,
        title: a.title,
        body: a.body,
        labels: [INCIDENT_LABEL],
      });
      out.opened.push(created.data.number);
    } else if (a.kind === 'update') {
      await octokit.rest.issues.createComment({ ...repo, issue_number: a.number, body: a.comment });
      await octokit.rest.issues.update({ ...repo, issue_number: a.number, body: a.body });
      out.updated.push(a.number);
    } else {
      await octokit.rest.issues.createComment({ ...repo, issue_number: a.number, body: a.comment });
      await octokit.rest.issues.update({
        ...repo,
        issue_number: a.number,
        state: 'closed',
        state_reason: 'completed',
      });
      out.closed.push(a.number);
    }
  }
  return out;
}
