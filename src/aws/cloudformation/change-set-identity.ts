import { createHash } from 'node:crypto';

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

export interface ChangeSetDescription {
  hash: string;
  risk: Risk;
  head: string;
}

/** The change set's Description: `coder-gitops plan hash=<hash> risk=<risk> head=<sha>` (under 1024 chars). */
export function formatChangeSetDescription(d: ChangeSetDescription): string {
  return `coder-gitops plan hash=${d.hash} risk=${d.risk} head=${d.head}`;
}

/** Reads a Description written by {@link formatChangeSetDescription}; undefined for anything else. */
export function parseChangeSetDescription(text: string | undefined): ChangeSetDescription | undefined {
  const m = /^coder-gitops plan hash=([0-9a-f]{32}) risk=(none|low|medium|high) head=(\S+)$/.exec(text ?? '');
  if (!m) return undefined;
  return { hash: m[1]!, risk: m[2] as Risk, head: m[3]! };
}
