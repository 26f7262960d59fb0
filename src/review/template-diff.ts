/*
 * Offline half of a stack plan: base → head template diff with @aws-cdk/cloudformation-diff.
 *
 * db.json.gz (the CloudFormation spec, for replacement impact and IAM scrutiny) is read synchronously
 * from `path.join(__dirname, '..', 'db.json.gz')` of @aws-cdk/aws-service-spec/lib/index.js the first
 * time a resource model is needed, then cached for the process (about 0.6-0.8 s once). Bundled with ncc
 * as ESM that `__dirname` does not exist; ./spec-location.js (imported first, below) makes the bundle
 * look for it at `actions/<name>/dist/db.json.gz`, next to dist/index.js. See that file.
 */
import './spec-location.js';
import { Writable } from 'node:stream';
import { formatDifferences, fullDiff, ResourceImpact, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { diffPolicyProperty, mergeIamSummaries, POLICY_PROPERTIES } from './iam-policy-diff.js';
import type { IamChangeSummary, ResourceChange } from './review-types.js';

export interface TemplateDiffResult {
  /** cdk-diff style text without colours; '' when the templates do not differ. */
  text: string;
  /** Resources that differ, with replacement impact from the spec. */
  changes: ResourceChange[];
  iam: IamChangeSummary;
  /** Any difference at all (resources, parameters, outputs, conditions…). */
  differs: boolean;
}

type Template = Record<string, unknown>;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Strip terminal colour codes (the formatter colours when it thinks it writes to a terminal). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function short(value: unknown, max = 160): string {
  const text = value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function replacementOf(impact: ResourceImpact): ResourceChange['replacement'] {
  if (impact === ResourceImpact.WILL_REPLACE) return 'True';
  if (impact === ResourceImpact.MAY_REPLACE) return 'Conditional';
  return 'False';
}

function impactNote(impact: ResourceImpact | undefined): string {
  if (impact === ResourceImpact.WILL_REPLACE) return ' (requires replacement)';
  if (impact === ResourceImpact.MAY_REPLACE) return ' (may require replacement)';
  return '';
}

function resourceChanges(diff: TemplateDiff): ResourceChange[] {
  const out: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, r) => {
    if (!r.isDifferent) return;
    const type = r.newResourceType ?? r.oldResourceType ?? 'unknown';
    const impact = r.changeImpact;
    if (r.isAddition) {
      out.push({
        logicalId,
        type,
        action: impact === ResourceImpact.WILL_IMPORT ? 'Import' : 'Add',
        details: [],
      });
      return;
    }
    if (r.isRemoval) {
      const details =
        impact === ResourceImpact.WILL_ORPHAN ? ['removed from the stack but retained (DeletionPolicy)'] : [];
      out.push({ logicalId, type, action: 'Remove', details });
      return;
    }
    const details: string[] = [];
    if (r.resourceTypeChanged)
      details.push(`Type: ${r.oldResourceType} → ${r.newResourceType} (requires replacement)`);
    r.forEachDifference((kind, name, d) => {
      const impactOf = (d as { changeImpact?: ResourceImpact }).changeImpact;
      const prefix = kind === 'Property' ? `Properties.${name}` : name;
      details.push(`${prefix}: ${short(d.oldValue)} → ${short(d.newValue)}${impactNote(impactOf)}`);
    });
    out.push({ logicalId, type, action: 'Modify', replacement: replacementOf(impact), details });
  });
  return out;
}

function statementLine(row: string[]): string {
  // summarizeStatements rows: [+/-, resource, effect, action, principal, condition]
  const [, resource = '', effect = '', action = '', principal = '', condition = ''] = row;
  const flat = (s: string) => s.split('\n').join(', ');
  return (
    `${effect} ${flat(action)} on ${flat(resource)}` +
    (principal ? ` (${flat(principal)})` : '') +
    (condition ? ` when ${flat(condition)}` : '')
  );
}

function iamSummary(diff: TemplateDiff): IamChangeSummary {
  const added: string[] = [];
  const removed: string[] = [];
  if (diff.iamChanges.hasChanges) {
    for (const row of diff.iamChanges.summarizeStatements().slice(1)) {
      const clean = row.map(stripAnsi);
      (clean[0]?.includes('-') ? removed : added).push(statementLine(clean));
    }
    for (const raw of diff.iamChanges.summarizeManagedPolicies().slice(1)) {
      const row = raw.map(stripAnsi);
      const line = `managed policy ${(row[2] ?? '').split('\n').join(', ')} on ${row[1] ?? ''}`;
      (row[0]?.includes('-') ? removed : added).push(line);
    }
  }
  // cdk-diff scrutinises only some resource types (not a ManagedPolicy on its own): compare every
  // policy-bearing property as well, so nothing that widens access goes unflagged.
  const own: IamChangeSummary[] = [];
  diff.resources.forEachDifference((logicalId, r) => {
    if (!r.isDifferent) return;
    for (const prop of POLICY_PROPERTIES) {
      const before = r.oldProperties?.[prop];
      const after = r.newProperties?.[prop];
      if (before === undefined && after === undefined) continue;
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      const part = diffPolicyProperty(`${logicalId}.${prop}`, prop, before, after);
      // cdk-diff's lines are the readable ones; ours only add the verdict and trust-policy changes.
      own.push({
        ...part,
        added: added.length || removed.length ? [] : part.added,
        removed: added.length || removed.length ? [] : part.removed,
      });
    }
  });
  const merged = mergeIamSummaries(
    // iamChanges only: the diff's own permissionsBroadened also counts security-group changes, which
    // are network openings (domain-rules `network-opening`), not IAM.
    { broadened: diff.iamChanges.permissionsBroadened, trustPolicyChanges: [], added, removed },
    ...own,
  );
  return merged;
}

/** The formatter's text (tables, trees), uncoloured; '' for an empty diff. */
export function formatTemplateDiff(diff: TemplateDiff): string {
  if (diff.isEmpty) return '';
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  formatDifferences(sink, diff);
  return stripAnsi(text).trimEnd();
}

/**
 * Diff two templates (their JSON form; `undefined` base = a new stack, `undefined` head = a removed one)
 * with replacement impact from the CloudFormation spec and IAM statement changes.
 */
export function diffTemplates(base: Template | undefined, head: Template | undefined): TemplateDiffResult {
  const diff = fullDiff(base ?? {}, head ?? {});
  return {
    text: formatTemplateDiff(diff),
    changes: resourceChanges(diff),
    iam: iamSummary(diff),
    differs: !diff.isEmpty,
  };
}
