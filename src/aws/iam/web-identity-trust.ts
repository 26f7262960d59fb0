/**
 * The part of IAM's policy evaluation that decides `sts:AssumeRoleWithWebIdentity` for a GitHub OIDC
 * token: a role's trust statements, their `StringEquals` / `StringLike` conditions on the token's
 * claims, explicit denies first. Neither moto nor `@cloud-copilot/iam-simulate` (strict mode drops the
 * provider's keys) evaluates these, so this is the one evaluator the doctor and the tests use.
 * (IAM User Guide: "IAM JSON policy elements: Condition operators" — StringLike's `*` and `?`
 * wildcards; multiple values of one key are OR-ed, keys and operators AND-ed.)
 */
export interface TrustCondition {
  operator: string;
  key: string;
  values: string[];
}

export interface TrustStatement {
  effect: 'Allow' | 'Deny';
  conditions: TrustCondition[];
}

const OPERATORS = new Set(['StringEquals', 'StringLike', 'StringNotEquals', 'StringNotLike']);

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Resolve `Fn::Sub` strings (and plain strings) against the given names; anything else is refused. */
function resolveString(value: unknown, names: Record<string, string>, where: string): string {
  if (typeof value === 'string') return value;
  const sub = (value as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
  if (typeof sub === 'string') {
    return sub.replace(/\$\{([^}!]+)\}/g, (whole, name: string) => {
      const resolved = names[name];
      if (resolved === undefined) throw new Error(`${where}: cannot resolve \${${name}}`);
      return resolved;
    });
  }
  throw new Error(`${where}: a trust condition value must be a string or !Sub, got ${JSON.stringify(value)}`);
}

/**
 * The web-identity trust statements of one `AWS::IAM::Role` in a template (JSON form), with `!Sub`
 * resolved against `names` (parameters and pseudo parameters).
 */
export function readWebIdentityTrust(
  template: Record<string, unknown>,
  logicalId: string,
  names: Record<string, string>,
): TrustStatement[] {
  const resources = (template.Resources ?? {}) as Record<
    string,
    { Type?: string; Properties?: Record<string, unknown> }
  >;
  const role = resources[logicalId];
  if (!role || role.Type !== 'AWS::IAM::Role')
    throw new Error(`no AWS::IAM::Role ${logicalId} in the template`);
  const doc = (role.Properties?.AssumeRolePolicyDocument ?? {}) as { Statement?: unknown };
  const out: TrustStatement[] = [];
  for (const [i, raw] of asList(doc.Statement ?? []).entries()) {
    const st = raw as {
      Effect?: string;
      Action?: unknown;
      Condition?: Record<string, Record<string, unknown>>;
    };
    if (!asList(st.Action).includes('sts:AssumeRoleWithWebIdentity')) continue;
    const where = `${logicalId}.AssumeRolePolicyDocument.Statement[${i}]`;
    const conditions: TrustCondition[] = [];
    for (const [operator, block] of Object.entries(st.Condition ?? {})) {
      if (!OPERATORS.has(operator))
        throw new Error(`${where}: condition operator ${operator} is not evaluated here`);
      for (const [key, values] of Object.entries(block)) {
        conditions.push({
          operator,
          key,
          values: asList(values).map((v, j) =>
            resolveString(v, names, `${where}.Condition.${operator}.${key}[${j}]`),
          ),
        });
      }
    }
    out.push({ effect: st.Effect === 'Deny' ? 'Deny' : 'Allow', conditions });
  }
  return out;
}

function likeToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function conditionHolds(c: TrustCondition, claims: Record<string, string>): boolean {
  const actual = claims[c.key];
  // A missing key fails every positive operator and satisfies the negated ones (IAM's rule).
  if (actual === undefined) return c.operator.startsWith('StringNot');
  const equals = c.values.some((v) => v === actual);
  const like = c.values.some((v) => likeToRegExp(v).test(actual));
  switch (c.operator) {
    case 'StringEquals':
      return equals;
    case 'StringLike':
      return like;
    case 'StringNotEquals':
      return !equals;
    default:
      return !like;
  }
}

/** True when the claims (`token.actions.githubusercontent.com:sub` → value, …) may assume the role. */
export function trustAccepts(statements: TrustStatement[], claims: Record<string, string>): boolean {
  const matches = (st: TrustStatement) => st.conditions.every((c) => conditionHolds(c, claims));
  if (statements.some((st) => st.effect === 'Deny' && matches(st))) return false;
  return statements.some((st) => st.effect === 'Allow' && matches(st));
}
