import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { StackState } from '../aws/cloudformation/stack-state.js';
import type { LastStackDrift } from '../plan/plan-types.js';
import { errorMessage } from '../util/errors.js';
import { readDriftedResources } from './cfn-drift.js';

/**
 * The last drift detection's result for a deployed stack, read only: DescribeStacks' drift status (in
 * `state`) and, when DRIFTED, DescribeStackResourceDrifts. Never starts a detection; never throws (a
 * failed read is `error`, the plan goes on).
 */
export async function readLastStackDrift(
  cfn: CloudFormationClient,
  state: StackState,
  sleep?: (ms: number) => Promise<void>,
): Promise<LastStackDrift | undefined> {
  if (!state.drift) return undefined;
  const out: LastStackDrift = {
    status: state.drift.status,
    ...(state.drift.lastCheckedAt ? { lastCheckedAt: state.drift.lastCheckedAt } : {}),
    resources: [],
  };
  if (state.drift.status !== 'DRIFTED') return out;
  try {
    out.resources = await readDriftedResources(cfn, state.stackId ?? state.stackName, sleep);
  } catch (err) {
    out.error = errorMessage(err);
  }
  return out;
}
