import type { IamChangeSummary } from './review-types.js';

/** Properties that hold IAM policy documents (identity, trust or resource policies) or managed policy ARNs. */
export const POLICY_PROPERTIES = new Set([
  'AssumeRolePolicyDocument',
  'PolicyDocument',
  'Policies',
  'ManagedPolicyArns',
  'KeyPolicy',
  'ResourcePolicy',
]);

interface Atom {
  effect: string;
  principal: string;
  action: string;
  resource: string;
  condition: string;
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function principals(value: unknown): string[] {
  if (value === undefined) return [''];
  if (typeof value === 'string') return [value]; // "*"
  if (value && typeof value === 'object') {
    const out: string[] = [];
    for (const [kind, v] of Object.entries(value as Record<string, unknown>)) {
      for (const p of list(v)) out.push(`${kind}:${text(p)}`);
    }
    return out.length ? out : [''];
  }
  return [text(value)];
}

function statementsOf(doc: unknown): Record<string, unknown>[] {
  const parsed = typeof doc === 'string' ? tryJson(doc) : doc;
  if (!parsed || typeof parsed !== 'object') return [];
  const d = parsed as Record<string, unknown>;
  if ('Statement' in d)
    return list(d.Statement).filter((s): s is Record<string, unknown> => !!s && typeof s === 'object');
  if ('Effect' in d) return [d];
  return [];
}

function atomsOf(doc: unknown): Atom[] {
  const out: Atom[] = [];
  for (const s of statementsOf(doc)) {
    const effect = typeof s.Effect === 'string' ? s.Effect : 'Allow';
    const actions = [...list(s.Action).map(text), ...list(s.NotAction).map((a) => `NOT ${text(a)}`)];
    const resources = [...list(s.Resource).map(text), ...list(s.NotResource).map((r) => `NOT ${text(r)}`)];
    const condition = s.Condition === undefined ? '' : JSON.stringify(s.Condition);
    for (const principal of principals(
      s.Principal ?? (s.NotPrincipal ? { NOT: s.NotPrincipal } : undefined),
    )) {
      for (const action of actions.length ? actions : ['']) {
        for (const resource of resources.length ? resources : ['']) {
          out.push({ effect, principal, action, resource, condition });
        }
      }
    }
  }
  return out;
}

function glob(pattern: string, value: string, caseInsensitive: boolean): boolean {
  if (pattern === value) return true;
  if (!/[*?]/.test(pattern)) return caseInsensitive && pattern.toLowerCase() === value.toLowerCase();
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'i' : '').test(value);
}

// An Allow that an earlier Allow already grants (same principal and condition, wider action and resource).
function coveredBy(a: Atom, wider: Atom): boolean {
  return (
    wider.effect === 'Allow' &&
    a.effect === 'Allow' &&
    wider.principal === a.principal &&
    wider.condition === a.condition &&
    !a.action.startsWith('NOT ') &&
    !wider.action.startsWith('NOT ') &&
    !a.resource.startsWith('NOT ') &&
    !wider.resource.startsWith('NOT ') &&
    glob(wider.action, a.action, true) &&
    glob(wider.resource, a.resource, false)
  );
}

function key(a: Atom): string {
  return [a.effect, a.principal, a.action, a.resource, a.condition].join('\u0000');
}

function line(a: Atom, owner: string): string {
  return (
    `${a.effect} ${a.action || '(no action)'}` +
    (a.resource ? ` on ${a.resource}` : '') +
    (a.principal ? ` (${a.principal})` : '') +
    (a.condition ? ` when ${a.condition}` : '') +
    ` [${owner}]`
  );
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** True for an action, resource or principal that grants everything (`*`, `s3:*`, `AWS:*`). */
export function isWildcard(value: string): boolean {
  return value === '*' || /:\*$/.test(value) || value === 'AWS:*';
}

/** Policy documents of a property value: a document, a `Policies` list ({PolicyDocument}), or JSON text of either. */
function documentsOf(property: string, value: unknown): unknown[] {
  const parsed = typeof value === 'string' ? (tryJson(value) ?? value) : value;
  if (property === 'Policies') {
    return list(parsed).map((p) =>
      p && typeof p === 'object' ? (p as Record<string, unknown>).PolicyDocument : p,
    );
  }
  return [parsed];
}

/**
 * Compare one policy-bearing property before → after (documents or their JSON text).
 * `owner` names where it is: `CoderRole.Policies`.
 */
export function diffPolicyProperty(
  owner: string,
  property: string,
  before: unknown,
  after: unknown,
): IamChangeSummary {
  const logicalId = owner.split('.')[0] ?? owner;
  const summary: IamChangeSummary = { broadened: false, trustPolicyChanges: [], added: [], removed: [] };
  if (property === 'ManagedPolicyArns') {
    const was = new Set(list(typeof before === 'string' ? (tryJson(before) ?? before) : before).map(text));
    const now = new Set(list(typeof after === 'string' ? (tryJson(after) ?? after) : after).map(text));
    for (const arn of now) if (!was.has(arn)) summary.added.push(`managed policy ${arn} [${owner}]`);
    for (const arn of was) if (!now.has(arn)) summary.removed.push(`managed policy ${arn} [${owner}]`);
    summary.broadened = summary.added.length > 0;
    return summary;
  }
  const was = documentsOf(property, before).flatMap(atomsOf);
  const now = documentsOf(property, after).flatMap(atomsOf);
  const wasKeys = new Set(was.map(key));
  const nowKeys = new Set(now.map(key));
  const added = now.filter((a) => !wasKeys.has(key(a)));
  const removed = was.filter((a) => !nowKeys.has(key(a)));
  summary.added = [...new Set(added.map((a) => line(a, owner)))];
  summary.removed = [...new Set(removed.map((a) => line(a, owner)))];
  // Broader: an Allow gained (new action, resource, principal or a looser condition) or a Deny lost.
  summary.broadened =
    added.some((a) => a.effect === 'Allow' && !was.some((w) => coveredBy(a, w))) ||
    removed.some((a) => a.effect === 'Deny');
  // A new role's trust policy is part of "broadened"; a changed one is its own finding.
  const existed = before !== undefined && after !== undefined;
  if (
    property === 'AssumeRolePolicyDocument' &&
    existed &&
    (added.length || removed.length || text(before) !== text(after))
  ) {
    summary.trustPolicyChanges.push(logicalId);
  }
  return summary;
}

/** Several summaries as one (lines de-duplicated). */
export function mergeIamSummaries(...parts: (IamChangeSummary | undefined)[]): IamChangeSummary {
  const out: IamChangeSummary = { broadened: false, trustPolicyChanges: [], added: [], removed: [] };
  for (const p of parts) {
    if (!p) continue;
    out.broadened ||= p.broadened;
    out.trustPolicyChanges.push(...p.trustPolicyChanges);
    out.added.push(...p.added);
    out.removed.push(...p.removed);
  }
  out.trustPolicyChanges = [...new Set(out.trustPolicyChanges)];
  out.added = [...new Set(out.added)];
  out.removed = [...new Set(out.removed)];
  return out;
}

/** The wildcard grants among added lines (for the risk message). */
export function wildcardGrants(summary: IamChangeSummary): string[] {
  return summary.added.filter(
    (l) => /^Allow /.test(l) && /(^Allow \*|:\* | on \*( |$)|\(\*\)|AWS:\*)/.test(l),
  );
}
