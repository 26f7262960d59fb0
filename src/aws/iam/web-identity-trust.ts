/**
 * The one trust evaluator for `sts:AssumeRoleWithWebIdentity`: does a role's trust policy accept a
 * token with these claims from this OIDC provider? The emulator asks it (moto-launcher.py posts to the
 * endpoint moto-server.ts serves) and the policy test calls it directly, because
 * `@cloud-copilot/iam-simulate` drops the provider's condition keys (`<provider>:sub`/`:aud`).
 *
 * Rules encoded (AWS IAM User Guide, "Available keys for AWS web identity federation" and "IAM JSON
 * policy elements: Condition operators"): an explicit Deny wins; an Allow statement applies when its
 * Action matches `sts:AssumeRoleWithWebIdentity`, its `Principal.Federated` names the provider the token
 * came from, and every condition holds (operators ANDed, keys ANDed, the values of one key ORed); a key
 * the request lacks fails a condition unless the operator ends in `IfExists` or is negated. The
 * provider is the one whose URL is the token's issuer (without `https://`), and the token's audience
 * must be in its client-id list. Only `<provider>:sub`, `:aud` and `:amr` are request keys.
 */

export interface OidcProviderFact {
  arn: string;
  /** Issuer without the scheme, e.g. `token.actions.githubusercontent.com`. */
  url: string;
  clientIds: string[];
}

export interface WebIdentityRequest {
  /** The role's AssumeRolePolicyDocument (already JSON). */
  trustPolicy: unknown;
  /** The token's claims (`iss`, `sub`, `aud`, …). */
  claims: Record<string, unknown>;
  /** The account's OIDC providers. */
  providers: OidcProviderFact[];
}

export interface TrustVerdict {
  allowed: boolean;
  /** Why, in one sentence a person can act on. */
  reason: string;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Principal?: { Federated?: string | string[] } | string;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const ACTION = 'sts:AssumeRoleWithWebIdentity';

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** IAM's `*`/`?` wildcards, case-sensitive for values (StringLike). */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

function actionMatches(s: Statement): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => wildcard(a, ACTION, true));
  return list(s.Action).some((a) => wildcard(a, ACTION, true));
}

function principalMatches(s: Statement, providerArn: string): boolean {
  if (s.Principal === '*') return true;
  if (typeof s.Principal !== 'object') return false;
  return list(s.Principal.Federated).includes(providerArn);
}

/** One condition operator over one key: true when it holds. */
function conditionHolds(operator: string, expected: string[], actual: string[]): boolean {
  const ifExists = operator.endsWith('IfExists');
  let op = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const set = /^(ForAnyValue|ForAllValues):/.exec(op)?.[1];
  if (set) op = op.slice(set.length + 1);
  const negated = /^StringNot/.test(op);
  if (actual.length === 0) return ifExists || negated || set === 'ForAllValues';
  const one = (value: string): boolean => {
    switch (op) {
      case 'StringEquals':
        return expected.includes(value);
      case 'StringNotEquals':
        return !expected.includes(value);
      case 'StringEqualsIgnoreCase':
        return expected.some((e) => e.toLowerCase() === value.toLowerCase());
      case 'StringLike':
        return expected.some((e) => wildcard(e, value));
      case 'StringNotLike':
        return !expected.some((e) => wildcard(e, value));
      default:
        // An operator this evaluator does not know never grants.
        return false;
    }
  };
  return set === 'ForAllValues' || negated ? actual.every(one) : actual.some(one);
}

function requestKeys(provider: OidcProviderFact, claims: Record<string, unknown>): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const claim of ['sub', 'aud', 'amr']) {
    const v = claims[claim];
    const values = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
    if (values.length) keys.set(`${provider.url}:${claim}`.toLowerCase(), values);
  }
  return keys;
}

function conditionsHold(s: Statement, keys: Map<string, string[]>): string | undefined {
  for (const [operator, byKey] of Object.entries(s.Condition ?? {})) {
    for (const [key, value] of Object.entries(byKey)) {
      const actual = keys.get(key.toLowerCase()) ?? [];
      if (!conditionHolds(operator, list(value), actual))
        return `${operator} ${key} ${JSON.stringify(value)} does not hold for ${actual.length ? JSON.stringify(actual.length === 1 ? actual[0] : actual) : 'a token without it'}`;
    }
  }
  return undefined;
}

/** Decide whether the trust policy accepts the token: a verdict with a reason either way. */
export function evaluateWebIdentityTrust(req: WebIdentityRequest): TrustVerdict {
  const iss = typeof req.claims.iss === 'string' ? req.claims.iss.replace(/^https:\/\//, '') : '';
  const provider = req.providers.find((p) => p.url === iss);
  if (!provider)
    return { allowed: false, reason: `no OIDC provider for the token's issuer '${iss}' in the account` };
  const aud = list(req.claims.aud as string | string[] | undefined);
  if (!aud.some((a) => provider.clientIds.includes(a)))
    return {
      allowed: false,
      reason: `the token's audience ${JSON.stringify(aud)} is not a client id of ${provider.arn}`,
    };
  const doc = req.trustPolicy as { Statement?: Statement | Statement[] } | null | undefined;
  if (!doc?.Statement) return { allowed: false, reason: 'the role does not exist or has no trust policy' };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const keys = requestKeys(provider, req.claims);
  const why: string[] = [];
  let allowed = false;
  for (const s of statements) {
    if (!actionMatches(s) || !principalMatches(s, provider.arn)) continue;
    const failed = conditionsHold(s, keys);
    if (s.Effect === 'Deny' && !failed)
      return { allowed: false, reason: `an explicit Deny in the trust policy applies to the token` };
    if (s.Effect === 'Allow') {
      if (failed) why.push(failed);
      else allowed = true;
    }
  }
  if (allowed) return { allowed: true, reason: `the trust policy accepts sub '${String(req.claims.sub)}'` };
  return {
    allowed: false,
    reason: why.length
      ? `the trust policy does not accept the token: ${why.join('; ')}`
      : `no Allow statement for ${ACTION} with Federated principal ${provider.arn}`,
  };
}
