import type { Change } from '@aws-sdk/client-cloudformation';

/**
 * What identifies one resource change of a change set, for comparing two change sets of the same stack:
 * action, logical id, type, replacement and the property paths it touches, as CloudFormation lists them.
 * Values are left out on purpose: a Modify's before-values come from the deployed stack and dynamic
 * references resolve per change set, so equal changes could differ there.
 */
export interface ChangeIdentity {
  action: string;
  logicalId: string;
  type: string;
  /** `True` | `False` | `Conditional`; undefined where CloudFormation gives none (moto never does). */
  replacement?: string;
  /** Sorted, unique: `Properties.Tags`, `Properties.PolicyDocument.Statement`… */
  paths: string[];
}

/** How one resource differs between the change set apply made from main and the reviewed one. */
export interface ChangeDifference {
  logicalId: string;
  /** `not-reviewed`: only apply's change set has it; `not-applied`: only the reviewed one; `differs`: both, unequal. */
  kind: 'not-reviewed' | 'not-applied' | 'differs';
  applied?: ChangeIdentity;
  reviewed?: ChangeIdentity;
  /** Human line: `Add ForeignRole (AWS::IAM::Role): only in the reviewed change set`. */
  summary: string;
}

function pathOf(
  target: NonNullable<NonNullable<Change['ResourceChange']>['Details']>[number]['Target'],
): string {
  const t = target ?? {};
  if (t.Path) return t.Path.replace(/^\//, '').split('/').join('.');
  return t.Name ? `${t.Attribute ?? 'Properties'}.${t.Name}` : (t.Attribute ?? 'resource');
}

/** The identities of a change set's resource changes (every page already read), by logical id. */
export function changeIdentities(changes: Change[]): ChangeIdentity[] {
  const out: ChangeIdentity[] = [];
  for (const c of changes) {
    const rc = c.ResourceChange;
    if (!rc?.LogicalResourceId) continue;
    out.push({
      action: rc.Action ?? 'Modify',
      logicalId: rc.LogicalResourceId,
      type: rc.ResourceType ?? 'unknown',
      ...(rc.Replacement ? { replacement: rc.Replacement } : {}),
      paths: [...new Set((rc.Details ?? []).map((d) => pathOf(d.Target)))].sort(),
    });
  }
  return out.sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

function describe(c: ChangeIdentity): string {
  return `${c.action} ${c.logicalId} (${c.type}${c.replacement ? `, replacement ${c.replacement}` : ''})`;
}

function fieldsThatDiffer(a: ChangeIdentity, r: ChangeIdentity): string[] {
  const out: string[] = [];
  if (a.action !== r.action) out.push(`action ${r.action} → ${a.action}`);
  if (a.type !== r.type) out.push(`type ${r.type} → ${a.type}`);
  if ((a.replacement ?? '') !== (r.replacement ?? ''))
    out.push(`replacement ${r.replacement ?? '(none)'} → ${a.replacement ?? '(none)'}`);
  const onlyA = a.paths.filter((p) => !r.paths.includes(p));
  const onlyR = r.paths.filter((p) => !a.paths.includes(p));
  if (onlyA.length) out.push(`also changes ${onlyA.join(', ')}`);
  if (onlyR.length) out.push(`no longer changes ${onlyR.join(', ')}`);
  return out;
}

/**
 * Compare the change set apply made from main (`applied`) with the reviewed one: every resource whose
 * change is not the same in both, in logical-id order. Empty = the same changes.
 */
export function compareChangeSets(applied: ChangeIdentity[], reviewed: ChangeIdentity[]): ChangeDifference[] {
  const a = new Map(applied.map((c) => [c.logicalId, c]));
  const r = new Map(reviewed.map((c) => [c.logicalId, c]));
  const out: ChangeDifference[] = [];
  for (const id of [...new Set([...a.keys(), ...r.keys()])].sort()) {
    const x = a.get(id);
    const y = r.get(id);
    if (x && !y) {
      out.push({
        logicalId: id,
        kind: 'not-reviewed',
        applied: x,
        summary: `${describe(x)}: not in the reviewed change set`,
      });
    } else if (!x && y) {
      out.push({
        logicalId: id,
        kind: 'not-applied',
        reviewed: y,
        summary: `${describe(y)}: only in the reviewed change set (main does not declare it)`,
      });
    } else if (x && y) {
      const fields = fieldsThatDiffer(x, y);
      if (fields.length)
        out.push({
          logicalId: id,
          kind: 'differs',
          applied: x,
          reviewed: y,
          summary: `${describe(x)}: ${fields.join('; ')}`,
        });
    }
  }
  return out;
}
