import type { Change, ResourceChangeDetail } from '@aws-sdk/client-cloudformation';
import { diffPolicyProperty, isWildcard, mergeIamSummaries, POLICY_PROPERTIES } from './iam-policy-diff.js';
import type { IamChangeSummary, ResourceChange } from './review-types.js';

const ACTIONS = new Set<ResourceChange['action']>(['Add', 'Modify', 'Remove', 'Import', 'Dynamic']);

function short(value: string | undefined, max = 160): string {
  if (value === undefined) return '(none)';
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

function detailLine(d: ResourceChangeDetail): string {
  const t = d.Target ?? {};
  const where =
    t.Path?.replace(/^\//, '').split('/').join('.') ??
    (t.Attribute === 'Properties' && t.Name ? `Properties.${t.Name}` : (t.Attribute ?? 'resource'));
  const values =
    t.BeforeValue !== undefined || t.AfterValue !== undefined
      ? `: ${short(t.BeforeValue)} → ${short(t.AfterValue)}`
      : t.AttributeChangeType
        ? ` (${t.AttributeChangeType.toLowerCase()})`
        : '';
  const notes: string[] = [];
  if (t.RequiresRecreation === 'Always') notes.push('requires replacement');
  if (t.RequiresRecreation === 'Conditionally') notes.push('may require replacement');
  if (d.Evaluation === 'Dynamic') notes.push('value known after apply');
  if (d.CausingEntity) notes.push(`caused by ${d.CausingEntity}`);
  return `${where}${values}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** A change set's resource changes in the report's shape (Replacement, physical id, property details). */
export function changeSetResourceChanges(changes: Change[]): ResourceChange[] {
  const out: ResourceChange[] = [];
  for (const c of changes) {
    const rc = c.ResourceChange;
    if (!rc?.LogicalResourceId) continue;
    const action = ACTIONS.has(rc.Action as ResourceChange['action'])
      ? (rc.Action as ResourceChange['action'])
      : 'Modify';
    out.push({
      logicalId: rc.LogicalResourceId,
      type: rc.ResourceType ?? 'unknown',
      action,
      ...(rc.Replacement ? { replacement: rc.Replacement as ResourceChange['replacement'] } : {}),
      ...(rc.PhysicalResourceId ? { physicalId: rc.PhysicalResourceId } : {}),
      details: [...new Set((rc.Details ?? []).map(detailLine))],
    });
  }
  return out;
}

function parseContext(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    // The context is `{"Properties":{…}}` (sometimes with Metadata, DeletionPolicy…); accept bare properties too.
    const props = v && typeof v === 'object' && 'Properties' in v ? v.Properties : v;
    return props && typeof props === 'object' ? (props as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// A detail deeper than the policy property (`/Properties/PolicyDocument/Statement/0/Action`): judge the leaf.
function leafSummary(owner: string, path: string[], before?: string, after?: string): IamChangeSummary {
  const field = path[path.length - 1] ?? '';
  const summary: IamChangeSummary = { broadened: false, trustPolicyChanges: [], added: [], removed: [] };
  if (path.includes('AssumeRolePolicyDocument'))
    summary.trustPolicyChanges.push(owner.split('.')[0] ?? owner);
  if (after !== undefined) summary.added.push(`${path.join('.')}: ${after} [${owner}]`);
  if (before !== undefined) summary.removed.push(`${path.join('.')}: ${before} [${owner}]`);
  const widening =
    ['Action', 'Resource', 'Principal', 'AWS', 'Service', 'Federated'].includes(field) || /^\d+$/.test(field);
  summary.broadened =
    (widening && after !== undefined && (before === undefined || isWildcard(after.replace(/^"|"$/g, '')))) ||
    (field === 'Effect' && after === 'Allow');
  return summary;
}

/** IAM changes a change set will make, from its property values (IncludePropertyValues). */
export function changeSetIam(changes: Change[]): IamChangeSummary {
  const parts: IamChangeSummary[] = [];
  for (const c of changes) {
    const rc = c.ResourceChange;
    if (!rc?.LogicalResourceId) continue;
    const before = parseContext(rc.BeforeContext);
    const after = parseContext(rc.AfterContext);
    if (before || after) {
      for (const prop of POLICY_PROPERTIES) {
        const b = before?.[prop];
        const a = after?.[prop];
        if (b === undefined && a === undefined) continue;
        if (JSON.stringify(b) === JSON.stringify(a)) continue;
        parts.push(diffPolicyProperty(`${rc.LogicalResourceId}.${prop}`, prop, b, a));
      }
      continue;
    }
    for (const d of rc.Details ?? []) {
      const t = d.Target;
      if (!t || t.Attribute !== 'Properties') continue;
      const path = (t.Path ?? `/Properties/${t.Name ?? ''}`).split('/').filter(Boolean).slice(1);
      const prop = path[0] ?? t.Name ?? '';
      if (!POLICY_PROPERTIES.has(prop)) continue;
      if (t.BeforeValue === undefined && t.AfterValue === undefined) {
        // No values (IncludePropertyValues unsupported): a trust policy change is still a trust policy change.
        if (prop === 'AssumeRolePolicyDocument') {
          parts.push({
            broadened: false,
            trustPolicyChanges: [rc.LogicalResourceId],
            added: [],
            removed: [],
          });
        }
        continue;
      }
      const owner = `${rc.LogicalResourceId}.${prop}`;
      parts.push(
        path.length <= 1
          ? diffPolicyProperty(owner, prop, t.BeforeValue, t.AfterValue)
          : leafSummary(owner, path, t.BeforeValue, t.AfterValue),
      );
    }
  }
  return mergeIamSummaries(...parts);
}

/**
 * The change set's changes (what CloudFormation will do against the deployed stack) enriched by the
 * template diff: replacement impact from the spec and property lines where the change set has none
 * (moto has no Replacement/Details). Resources only in the template diff are left out: the change set
 * is the truth about the deployed stack.
 */
export function mergeResourceChanges(online: ResourceChange[], offline: ResourceChange[]): ResourceChange[] {
  const byId = new Map(offline.map((c) => [c.logicalId, c]));
  return online.map((c) => {
    const o = byId.get(c.logicalId);
    if (!o) return c;
    return {
      ...c,
      replacement: c.replacement ?? o.replacement,
      details: c.details.length ? c.details : o.details,
    };
  });
}
