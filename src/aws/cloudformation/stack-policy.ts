import { SetStackPolicyCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { wrapAwsError } from '../../util/errors.js';
import { withRetry } from '../../util/retry.js';
import { STATEFUL_TYPES } from '../../review/risk-rules.js';

/** The policy set on every apply: everything may update, except replacing or deleting stateful resources. */
export function protectivePolicy(): string {
  return JSON.stringify({
    Statement: [
      { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' },
      {
        Effect: 'Deny',
        Action: ['Update:Replace', 'Update:Delete'],
        Principal: '*',
        Resource: '*',
        // The review module's one list: what the risk rules call stateful is what the policy protects.
        Condition: { StringEquals: { ResourceType: [...STATEFUL_TYPES] } },
      },
    ],
  });
}

/** The temporary override: allows every update (only when the review decision lifts the policy). */
export function overridePolicy(): string {
  return JSON.stringify({
    Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' }],
  });
}

/** Set the stack's policy (the protective one, or the override when the review decision says so). */
export async function setStackPolicy(
  cfn: CloudFormationClient,
  stackName: string,
  override: boolean,
  sleep?: (ms: number) => Promise<void>,
): Promise<void> {
  const body = override ? overridePolicy() : protectivePolicy();
  await withRetry(
    () => cfn.send(new SetStackPolicyCommand({ StackName: stackName, StackPolicyBody: body })),
    {
      label: `SetStackPolicy ${stackName}`,
      sleep,
    },
  ).catch((err: unknown) => {
    throw wrapAwsError(`could not set the stack policy of ${stackName}`, err);
  });
}
