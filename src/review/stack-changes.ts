import type { Change } from '@aws-sdk/client-cloudformation';
import type { IamChangeSummary, ResourceChange } from './review-types.js';
import { changeSetIam, changeSetResourceChanges, mergeResourceChanges } from './change-set-changes.js';
import { mergeIamSummaries } from './iam-policy-diff.js';
import type { TemplateDiffResult } from './template-diff.js';

/**
 * A change set's changes as plan and apply both judge them: CloudFormation's Changes (the truth about
 * the deployed stack) enriched by the template diff deployed → declared (replacement impact from the
 * spec, IAM statements; moto's Changes have neither Replacement nor Details).
 */
export function changeSetWithDiff(
  changeSet: Change[],
  diff: TemplateDiffResult,
): { changes: ResourceChange[]; iam: IamChangeSummary } {
  return {
    changes: mergeResourceChanges(changeSetResourceChanges(changeSet), diff.changes),
    iam: mergeIamSummaries(changeSetIam(changeSet), diff.iam),
  };
}
