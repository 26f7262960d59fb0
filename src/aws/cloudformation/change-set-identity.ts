import { createHash, randomBytes } from 'node:crypto';

/** Risk levels, ordered. */
export const RISK_LEVELS = ['none', 'low', 'medium', 'high'] as const;
export type Risk = (typeof RISK_LEVELS)[number];

/** True when `a` carries more risk than `b`. */
export function riskExceeds(a: Risk, b: Risk): boolean {
  return RISK_LEVELS.indexOf(a) > RISK_LEVELS.indexOf(b);
}

/**
 * The change set plan-region creates for a pull request head and a stack, so apply-region can find
 * exactly it: `cg-<12 hex of head sha>-<stack name>` (letters, digits, hyphens; at most 128).
 */
export function changeSetName(headSha: string, stackName: string): string {
  const sha =
    headSha
      .toLowerCase()
      .replace(/[^0-9a-f]/g, '')
      .slice(0, 12) || 'local';
  return `cg-${sha}-${stackName}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 128);
}

/**
 * The change set apply creates for itself: `ca-<12 hex of the commit>-<16 hex of randomness>-<stack>`.
 * The nonce makes it a name nobody can have chosen before this run (the plan role can create change sets
 * under any name); it comes before the stack name so truncation to 128 characters never cuts it.
 */
export function applyChangeSetName(
  headSha: string,
  stackName: string,
  nonce = randomBytes(8).toString('hex'),
): string {
  return changeSetName(headSha, stackName)
    .replace(/^cg-([0-9a-z]+)-/, `ca-$1-${nonce}-`)
    .slice(0, 128);
}

/** Hash of what a change set applies: the template body and the resolved parameters (order-independent). */
export function contentHash(templateBody: string, parameters: Record<string, string>): string {
  const canonical = JSON.stringify([
    templateBody,
    Object.keys(parameters)
      .sort()
      .map((k) => [k, parameters[k]]),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * The plan's change set Description (`coder-gitops plan head=<sha> hash=<hash>`), for people reading the
 * console. Nothing reads it back: anyone holding the plan role can write any Description.
 */
export function formatChangeSetDescription(d: { hash: string; head: string }): string {
  return `coder-gitops plan head=${d.head} hash=${d.hash}`;
}
