import {
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  ExecuteChangeSetCommand,
  type CloudFormationClient,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { errorMessage, wrapAwsError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { realSleep, withRetry } from '../../util/retry.js';
import { describeStackState, isStackInProgress, type StackState } from './stack-state.js';

/** Timing knobs shared by the execution-side functions (tests inject a sleep that returns at once). */
export interface StackWaitOptions {
  sleep?: (ms: number) => Promise<void>;
  /** Between two polls of the stack (default 5 s). */
  pollIntervalMs?: number;
  /** Clock, for deadlines (default Date.now). */
  now?: () => number;
}

/** A failing resource as the stack events tell it. */
export interface StackFailure {
  /** Logical id (the stack's own name for stack-level events). */
  resource: string;
  type?: string;
  status: string;
  reason: string;
}

export interface ExecuteChangeSetOptions extends StackWaitOptions {
  cfn: CloudFormationClient;
  stackName: string;
  /** Name or ARN. */
  changeSetName: string;
  logger: Logger;
  /** How long to wait for a terminal state. */
  timeoutMs: number;
}

export interface ExecuteChangeSetResult {
  ok: boolean;
  /** The stack's status when we stopped watching. */
  finalStatus: string;
  /** First failing resource and its reason, when the execution failed. */
  failure?: StackFailure;
  /** One line for the report. */
  message: string;
  stackId?: string;
}

const SUCCESS = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

/**
 * Wait while another operation holds the stack (any `*_IN_PROGRESS` but review), up to `boundMs`;
 * then fail naming the operation. Returns the stack's state once idle.
 */
export async function waitForStackIdle(
  cfn: CloudFormationClient,
  stackName: string,
  opts: StackWaitOptions & { boundMs: number; logger: Logger },
): Promise<StackState> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const interval = opts.pollIntervalMs ?? 5000;
  const deadline = now() + opts.boundMs;
  let announced = false;
  for (;;) {
    const stack = await describeStackState(cfn, stackName);
    if (!stack.inProgress) return stack;
    if (now() >= deadline) {
      throw new Error(
        `${stackName} is held by another operation (${stack.status}) and stayed so for ` +
          `${Math.round(opts.boundMs / 1000)} s; nothing was executed. Wait for that operation to finish, then re-run.`,
      );
    }
    if (!announced) {
      opts.logger.info(`${stackName} is ${stack.status} (another operation): waiting for it to finish`);
      announced = true;
    }
    await sleep(interval);
  }
}

/**
 * A create that ended in `ROLLBACK_COMPLETE` cannot be updated: delete it so it can be created again,
 * but only when the stack holds nothing (every resource gone); otherwise throw saying what remains.
 */
export async function recoverRolledBackCreate(
  cfn: CloudFormationClient,
  stackName: string,
  opts: StackWaitOptions & { logger: Logger; timeoutMs: number },
): Promise<void> {
  const res = await withRetry(() => cfn.send(new DescribeStackResourcesCommand({ StackName: stackName })), {
    label: `DescribeStackResources ${stackName}`,
    sleep: opts.sleep,
  }).catch((err: unknown) => {
    throw wrapAwsError(`could not list the resources of ${stackName}`, err);
  });
  const left = (res.StackResources ?? []).filter((r) => r.ResourceStatus !== 'DELETE_COMPLETE');
  if (left.length > 0) {
    throw new Error(
      `${stackName} is ROLLBACK_COMPLETE after a failed create but still holds ` +
        `${left.map((r) => `${r.LogicalResourceId} (${r.ResourceType}, ${r.ResourceStatus})`).join(', ')}; ` +
        'not deleting it automatically. Inspect and delete the stack by hand, then re-run.',
    );
  }
  opts.logger.info(
    `${stackName} is ROLLBACK_COMPLETE from a failed create and holds nothing: deleting it to create it again`,
  );
  await withRetry(() => cfn.send(new DeleteStackCommand({ StackName: stackName })), {
    label: `DeleteStack ${stackName}`,
    sleep: opts.sleep,
  }).catch((err: unknown) => {
    throw wrapAwsError(`could not delete the rolled-back stack ${stackName}`, err);
  });
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const stack = await describeStackState(cfn, stackName);
    if (!stack.exists) return;
    if (stack.status === 'DELETE_FAILED') {
      throw new Error(
        `could not delete the rolled-back stack ${stackName}: ${stack.statusReason ?? 'DELETE_FAILED'}`,
      );
    }
    if (now() >= deadline) throw new Error(`${stackName} was still ${stack.status} when the wait ended`);
    await sleep(opts.pollIntervalMs ?? 5000);
  }
}

/** The clear message for a stack stuck in UPDATE_ROLLBACK_FAILED. */
export function updateRollbackFailedMessage(stackName: string, reason?: string): string {
  return (
    `${stackName} is UPDATE_ROLLBACK_FAILED${reason ? ` (${reason})` : ''}: CloudFormation cannot update it until ` +
    `the rollback is continued. Fix the resource that blocks the rollback, then run ` +
    `\`aws cloudformation continue-update-rollback --stack-name ${stackName}\` (skipping resources if needed) and re-run.`
  );
}

function eventLine(e: StackEvent): string {
  const reason = e.ResourceStatusReason ? ` – ${e.ResourceStatusReason}` : '';
  return `${e.LogicalResourceId ?? '?'} (${e.ResourceType ?? '?'}) ${e.ResourceStatus ?? '?'}${reason}`;
}

/** Events newer than `since` not seen yet, oldest first (DescribeStackEvents lists newest first). */
async function newEvents(
  cfn: CloudFormationClient,
  stackId: string,
  since: Date,
  seen: Set<string>,
  sleep?: (ms: number) => Promise<void>,
): Promise<StackEvent[]> {
  const fresh: StackEvent[] = [];
  let token: string | undefined;
  do {
    const out = await withRetry(
      () => cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token })),
      { label: `DescribeStackEvents ${stackId}`, sleep },
    );
    let reachedOld = false;
    for (const e of out.StackEvents ?? []) {
      if (e.Timestamp && e.Timestamp < since) {
        reachedOld = true;
        break;
      }
      if (!e.EventId || seen.has(e.EventId)) continue;
      seen.add(e.EventId);
      fresh.push(e);
    }
    token = reachedOld ? undefined : out.NextToken;
  } while (token);
  return fresh.reverse();
}

/** The first resource that failed (its reason is the cause; later ones are usually "cancelled"). */
export function firstFailure(events: StackEvent[], stackName: string): StackFailure | undefined {
  const failed = events.filter((e) => e.ResourceStatus?.endsWith('_FAILED'));
  const resource = failed.find(
    (e) => e.LogicalResourceId !== stackName && e.ResourceType !== 'AWS::CloudFormation::Stack',
  );
  const pick = resource ?? failed[0];
  if (!pick) {
    const rollback = events.find(
      (e) => /ROLLBACK_IN_PROGRESS$/.test(e.ResourceStatus ?? '') && e.ResourceStatusReason,
    );
    if (!rollback) return undefined;
    return {
      resource: rollback.LogicalResourceId ?? stackName,
      type: rollback.ResourceType,
      status: rollback.ResourceStatus ?? '',
      reason: rollback.ResourceStatusReason ?? '',
    };
  }
  return {
    resource: pick.LogicalResourceId ?? stackName,
    type: pick.ResourceType,
    status: pick.ResourceStatus ?? '',
    reason: pick.ResourceStatusReason ?? '(no reason given)',
  };
}

/**
 * Execute a change set, stream the stack's events into the log and wait for a terminal state; on
 * failure name the first failing resource with its reason and the stack's final state.
 */
export async function executeChangeSet(opts: ExecuteChangeSetOptions): Promise<ExecuteChangeSetResult> {
  const { cfn, stackName, logger } = opts;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const interval = opts.pollIntervalMs ?? 5000;
  // Events a second older than the call still belong to it (clock skew between us and AWS).
  const since = new Date(now() - 1000);
  await withRetry(
    () => cfn.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: opts.changeSetName })),
    { label: `ExecuteChangeSet ${stackName}`, sleep },
  ).catch((err: unknown) => {
    throw wrapAwsError(`could not execute change set ${opts.changeSetName} on ${stackName}`, err);
  });
  logger.info(`executing ${opts.changeSetName}`);
  const seen = new Set<string>();
  const all: StackEvent[] = [];
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const stack = await describeStackState(cfn, stackName);
    const status = stack.status ?? 'DELETE_COMPLETE';
    const events = await newEvents(cfn, stack.stackId ?? stackName, since, seen, sleep).catch(
      (err: unknown) => {
        logger.debug(`could not read events of ${stackName}: ${errorMessage(err)}`);
        return [] as StackEvent[];
      },
    );
    for (const e of events) {
      all.push(e);
      const line = eventLine(e);
      if (e.ResourceStatus?.endsWith('_FAILED')) logger.warn(line);
      else logger.info(line);
    }
    if (!isStackInProgress(status) && status !== 'REVIEW_IN_PROGRESS') {
      if (SUCCESS.has(status))
        return { ok: true, finalStatus: status, message: status, stackId: stack.stackId };
      const failure = firstFailure(all, stackName) ?? {
        resource: stackName,
        type: 'AWS::CloudFormation::Stack',
        status,
        reason: stack.statusReason ?? '(no reason given)',
      };
      const tail =
        status === 'UPDATE_ROLLBACK_FAILED'
          ? ` ${updateRollbackFailedMessage(stackName)}`
          : status === 'ROLLBACK_COMPLETE'
            ? ' (the failed create was rolled back; the next run deletes the empty stack and creates it again)'
            : '';
      return {
        ok: false,
        finalStatus: status,
        failure,
        stackId: stack.stackId,
        message: `${stackName} failed at ${failure.resource}${failure.type ? ` (${failure.type})` : ''}: ${failure.reason}; stack is now ${status}.${tail}`,
      };
    }
    if (now() >= deadline) {
      return {
        ok: false,
        finalStatus: status,
        stackId: stack.stackId,
        message: `${stackName} was still ${status} after ${Math.round(opts.timeoutMs / 60000)} min; stopped watching (CloudFormation carries on). Re-run to continue once it settles.`,
      };
    }
    await sleep(interval);
  }
}
