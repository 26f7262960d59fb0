import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { errorCode, errorMessage, wrapAwsError } from '../../util/errors.js';

/** What plan and apply need to know about a deployed stack. */
export interface StackState {
  stackName: string;
  /** False when CloudFormation has no such stack (or only a deleted one). */
  exists: boolean;
  stackId?: string;
  status?: string;
  statusReason?: string;
  /**
   * True when the stack has never been deployed: absent, or REVIEW_IN_PROGRESS (a CREATE change set
   * made it and nobody executed it). Its next change set must be of type CREATE.
   */
  needsCreate: boolean;
  /** An operation is running on it (`*_IN_PROGRESS` other than REVIEW_IN_PROGRESS): a change set would race it. */
  inProgress: boolean;
  /** Only a delete can follow (ROLLBACK_COMPLETE, *_FAILED that cannot be updated). */
  unrecoverable: boolean;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  tags: Record<string, string>;
  /** The last drift detection's result (DescribeStacks' DriftInformation): `DRIFTED`, `IN_SYNC`, `NOT_CHECKED`. */
  drift?: { status: string; lastCheckedAt?: string };
}

/** True for a status in which CloudFormation is still working on the stack. */
export function isStackInProgress(status: string | undefined): boolean {
  return !!status && status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS';
}

/** True when a stack in this status cannot be updated, only deleted and created again. */
export function isStackUnrecoverable(status: string | undefined): boolean {
  return status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status === 'DELETE_FAILED';
}

/** True when DescribeStacks (or a stack-scoped call) failed only because the stack does not exist. */
export function isStackNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return (
    (code === 'ValidationError' || code === 'ValidationException' || code === 'StackNotFoundException') &&
    /does not exist|not found/i.test(errorMessage(err))
  );
}

function toRecord<T>(
  items: T[] | undefined,
  key: (t: T) => string | undefined,
  value: (t: T) => string | undefined,
) {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const k = key(item);
    if (k !== undefined) out[k] = value(item) ?? '';
  }
  return out;
}

/** The state of a stack object from DescribeStacks. */
export function toStackState(stackName: string, stack: Stack | undefined): StackState {
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
    return {
      stackName,
      exists: false,
      needsCreate: true,
      inProgress: false,
      unrecoverable: false,
      parameters: {},
      outputs: {},
      tags: {},
    };
  }
  const status = stack.StackStatus;
  return {
    stackName,
    exists: true,
    stackId: stack.StackId,
    status,
    statusReason: stack.StackStatusReason,
    needsCreate: status === 'REVIEW_IN_PROGRESS',
    inProgress: isStackInProgress(status),
    unrecoverable: isStackUnrecoverable(status),
    parameters: toRecord(
      stack.Parameters,
      (p) => p.ParameterKey,
      (p) => p.ResolvedValue ?? p.ParameterValue,
    ),
    outputs: toRecord(
      stack.Outputs,
      (o) => o.OutputKey,
      (o) => o.OutputValue,
    ),
    tags: toRecord(
      stack.Tags,
      (t) => t.Key,
      (t) => t.Value,
    ),
    ...(stack.DriftInformation?.StackDriftStatus
      ? {
          drift: {
            status: stack.DriftInformation.StackDriftStatus,
            ...(stack.DriftInformation.LastCheckTimestamp
              ? { lastCheckedAt: stack.DriftInformation.LastCheckTimestamp.toISOString() }
              : {}),
          },
        }
      : {}),
  };
}

/** Describe a stack; a stack that does not exist is a state (`exists: false`), not an error. */
export async function describeStackState(cfn: CloudFormationClient, stackName: string): Promise<StackState> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return toStackState(stackName, out.Stacks?.[0]);
  } catch (err) {
    if (isStackNotFound(err)) return toStackState(stackName, undefined);
    throw wrapAwsError(`could not describe stack ${stackName}`, err);
  }
}
