import type { Risk } from '../aws/cloudformation/change-set-identity.js';
import type { RiskFinding } from './review-types.js';
import { compareChangeSets, type ChangeDifference, type ChangeIdentity } from './change-set-comparison.js';
import { changeSetChanges } from './changed.js';

/**
 * The reviewed change set as apply found it: only ever a reference to compare with, never executed.
 * `absent`: no merged pull request, or no change set under the reviewed name (the plan left none, e.g. a
 * stack known only after an earlier one); `unusable`: there, but neither a finished change set nor a
 * "no changes" one.
 */
export type ReviewedReference =
  | { state: 'no-pull-request' }
  | { state: 'absent'; name: string }
  | { state: 'unusable'; name: string; status: string }
  | { state: 'no-changes'; name: string }
  | { state: 'ready'; name: string; identities: ChangeIdentity[] };

/** The change set apply made itself, in this run, from main's template and parameters. */
export interface AppliedChangeSet {
  status: 'ready' | 'no-changes';
  identities: ChangeIdentity[];
  /** From the one rule set (template diff against deployed + Changes). */
  risk: Risk;
  findings: RiskFinding[];
}

export interface ReviewDecisionInput {
  stackName: string;
  applied: AppliedChangeSet;
  reviewed: ReviewedReference;
  /** The `allow-destructive` input. */
  allowDestructive: boolean;
}

interface Weighed {
  risk: Risk;
  differences: ChangeDifference[];
  /** Findings of apply's change set the review did not show (for refusals and the report). */
  unreviewedFindings: RiskFinding[];
}

/** What apply does with one stack; a pure function of the two change sets decides it. */
export type ReviewDecision =
  | { kind: 'no-changes'; reviewed: boolean; differences: ChangeDifference[] }
  | ({ kind: 'execute-reviewed'; liftStackPolicy: boolean } & Weighed)
  | ({ kind: 'execute-with-differences'; liftStackPolicy: false; note: string } & Weighed)
  | ({ kind: 'refuse'; reason: string } & Weighed);

const ABOVE_LOW = new Set<Risk>(['medium', 'high']);

function logicalIdOf(f: RiskFinding, stackName: string): string | undefined {
  return f.subject.startsWith(`${stackName}/`) ? f.subject.slice(stackName.length + 1) : undefined;
}

function referenceNote(reviewed: ReviewedReference): string {
  switch (reviewed.state) {
    case 'no-pull-request':
      return 'no merged pull request for this commit';
    case 'absent':
      return `no reviewed change set ${reviewed.name} (the plan made none for this stack)`;
    case 'unusable':
      return `the reviewed change set ${reviewed.name} is ${reviewed.status}`;
    case 'no-changes':
      return `the reviewed change set ${reviewed.name} had no changes`;
    case 'ready':
      return `the reviewed change set ${reviewed.name} differs from main`;
  }
}

/**
 * Decide what apply does with the change set it made from main, given the reviewed one:
 * - no changes → `no-changes` (reviewed when the review showed none either);
 * - the same changes (action, logical id, type, replacement, property paths) → `execute-reviewed`;
 * - otherwise a finding above `low` on a resource whose change the review did not show identically is
 *   `refuse` (riskier than reviewed); without any usable reference, only additions may carry such risk
 *   (a first rollout creates stacks the plan could only show from their template); the rest is
 *   `execute-with-differences`, the differences shown.
 * The stack policy is lifted only with `allow-destructive`, a high-risk change set, and every high
 * finding on a change the reviewed change set holds identically.
 * No Description, name or risk written by the plan feeds this: only the two change sets' contents.
 */
export function decideReview(input: ReviewDecisionInput): ReviewDecision {
  const { applied, reviewed, stackName } = input;
  const reference = reviewed.state === 'ready' ? reviewed.identities : [];
  if (!changeSetChanges(applied.status)) {
    const differences = reviewed.state === 'ready' ? compareChangeSets([], reference) : [];
    const agrees = reviewed.state === 'no-changes' || reviewed.state === 'absent';
    return { kind: 'no-changes', reviewed: agrees && differences.length === 0, differences };
  }
  const hasReference = reviewed.state === 'ready' || reviewed.state === 'no-changes';
  const differences = hasReference
    ? compareChangeSets(applied.identities, reference)
    : compareChangeSets(applied.identities, []);
  const unreviewedIds = new Set(differences.filter((d) => d.kind !== 'not-applied').map((d) => d.logicalId));
  const byId = new Map(applied.identities.map((c) => [c.logicalId, c]));
  const coveredByReview = (f: RiskFinding): boolean => {
    if (!hasReference) return false;
    const id = logicalIdOf(f, stackName);
    // A stack-level finding (IAM broadening) is covered only when no change differs at all.
    return id === undefined ? unreviewedIds.size === 0 : !unreviewedIds.has(id);
  };
  const additionOnly = (f: RiskFinding): boolean => {
    const id = logicalIdOf(f, stackName);
    if (id === undefined) return applied.identities.every((c) => c.action === 'Add');
    return byId.get(id)?.action === 'Add';
  };
  const unreviewedFindings = applied.findings.filter((f) => !coveredByReview(f));
  const weighed: Weighed = { risk: applied.risk, differences, unreviewedFindings };
  if (differences.length === 0) {
    const high = applied.findings.filter((f) => f.level === 'high');
    const liftStackPolicy = input.allowDestructive && applied.risk === 'high' && high.every(coveredByReview);
    return { kind: 'execute-reviewed', liftStackPolicy, ...weighed };
  }
  const blocking = unreviewedFindings.filter(
    (f) => ABOVE_LOW.has(f.level) && (hasReference || !additionOnly(f)),
  );
  if (blocking.length > 0) {
    return {
      kind: 'refuse',
      reason:
        `apply's change set from main carries ${applied.risk} risk the review did not show ` +
        `(${blocking.map((f) => `${f.level}: ${f.message}`).join('; ')}); ${referenceNote(reviewed)}`,
      ...weighed,
    };
  }
  return {
    kind: 'execute-with-differences',
    liftStackPolicy: false,
    note: referenceNote(reviewed),
    ...weighed,
  };
}
