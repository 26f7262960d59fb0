import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type Change,
  type CloudFormationClient,
  type DescribeChangeSetCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { errorCode, errorMessage, wrapAwsError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { realSleep, withRetry } from '../../util/retry.js';

export interface ChangeSetRequest {
  cfn: CloudFormationClient;
  stackName: string;
  templateBody: string;
  /** Resolved parameter values (all known). */
  parameters: Record<string, string>;
  /** From changeSetName(headSha, stackName). */
  name: string;
  /** From formatChangeSetDescription(...). */
  description: string;
  /** The stack has been deployed: UPDATE; otherwise CREATE (also for a REVIEW_IN_PROGRESS stack). */
  exists: boolean;
  /** Stack tags; keep them stable (no SHA), or every plan shows a tag change on every resource. */
  tags?: Record<string, string>;
  /**
   * The role CloudFormation acts with (github-oidc's `<project>-cloudformation`): the workflow roles
   * only pass it, so they never hold the permissions the stacks need. Undefined for the account stacks,
   * which a person applies with administrator credentials.
   */
  roleArn?: string;
  /**
   * A change set already under this name: `replace` deletes it and creates a fresh one (the plan: its
   * name is fixed so apply can find it); `refuse` throws (apply: its names carry a nonce, so one already
   * there was made by somebody else). Never reused: whoever holds the plan role can create change sets,
   * so neither a name nor a Description proves who made one or from what.
   */
  existing: 'replace' | 'refuse';
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Give up waiting for CREATE_COMPLETE after this long (default 15 minutes). */
  maxWaitMs?: number;
}

export interface ChangeSetOutcome {
  name: string;
  id?: string;
  /** `ready`: CREATE_COMPLETE and executable; `no-changes`: CloudFormation found nothing to do. */
  status: 'ready' | 'no-changes' | 'failed';
  /** StatusReason of a FAILED change set (also for no-changes). */
  reason?: string;
  executionStatus?: string;
  changeSetType?: string;
  /** Every change, all pages, with property values (IncludePropertyValues). */
  changes: Change[];
}

// Never CAPABILITY_AUTO_EXPAND: no template here may expand macros. CloudFormation processes a transform when
// the change set is created, so the real guard is validate-template-safety refusing transforms before any call.
export const CHANGE_SET_CAPABILITIES = ['CAPABILITY_NAMED_IAM'] as const;

const NO_CHANGES = /didn't contain changes|No updates are to be performed|contains no changes/i;
const PENDING = new Set(['CREATE_PENDING', 'CREATE_IN_PROGRESS']);
// Waiting CloudFormation out: quick at first (most change sets take 5-30 s), then every 5 s.
const POLL_DELAYS_MS = [1000, 2000, 3000, 5000];

/** True when a FAILED change set only means "nothing to change": a no-op, not an error. */
export function isNoChangesReason(reason: string | undefined): boolean {
  return NO_CHANGES.test(reason ?? '');
}

/** True when a change-set call failed because the change set (or its stack) does not exist. */
export function isChangeSetNotFound(err: unknown): boolean {
  const code = errorCode(err);
  if (code === 'ChangeSetNotFoundException' || code === 'ChangeSetNotFound') return true;
  return code === 'ValidationError' && /does not exist|not found/i.test(errorMessage(err));
}

async function describeFirstPage(
  cfn: CloudFormationClient,
  stackName: string,
  name: string,
): Promise<DescribeChangeSetCommandOutput | undefined> {
  try {
    return await cfn.send(
      new DescribeChangeSetCommand({
        StackName: stackName,
        ChangeSetName: name,
        IncludePropertyValues: true,
      }),
    );
  } catch (err) {
    if (isChangeSetNotFound(err)) return undefined;
    throw wrapAwsError(`could not describe change set ${name} of ${stackName}`, err);
  }
}

/** DescribeChangeSet with every page of Changes and property values (BeforeValue/AfterValue). */
export async function describeChangeSetFully(
  cfn: CloudFormationClient,
  stackName: string,
  name: string,
  first?: DescribeChangeSetCommandOutput,
): Promise<DescribeChangeSetCommandOutput | undefined> {
  const head = first ?? (await describeFirstPage(cfn, stackName, name));
  if (!head) return undefined;
  const changes = [...(head.Changes ?? [])];
  let token = head.NextToken;
  while (token) {
    const page = await cfn
      .send(
        new DescribeChangeSetCommand({
          StackName: stackName,
          ChangeSetName: name,
          IncludePropertyValues: true,
          NextToken: token,
        }),
      )
      .catch((err: unknown) => {
        throw wrapAwsError(`could not describe change set ${name} of ${stackName}`, err);
      });
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
  }
  return { ...head, Changes: changes, NextToken: undefined };
}

/** Poll until the change set leaves CREATE_PENDING/CREATE_IN_PROGRESS; returns its first page. */
export async function waitForChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  name: string,
  opts: { sleep?: (ms: number) => Promise<void>; maxWaitMs?: number } = {},
): Promise<DescribeChangeSetCommandOutput> {
  const sleep = opts.sleep ?? realSleep;
  const maxWait = opts.maxWaitMs ?? 15 * 60_000;
  let waited = 0;
  for (let i = 0; ; i++) {
    const out = await describeFirstPage(cfn, stackName, name);
    if (!out)
      throw wrapAwsError(
        `change set ${name} of ${stackName} disappeared while being created`,
        new Error('not found'),
      );
    if (!PENDING.has(out.Status ?? '')) return out;
    if (waited >= maxWait) {
      throw wrapAwsError(
        `change set ${name} of ${stackName} still ${out.Status} after ${Math.round(waited / 1000)} s`,
        new Error('timed out'),
      );
    }
    const delay = POLL_DELAYS_MS[Math.min(i, POLL_DELAYS_MS.length - 1)]!;
    await sleep(delay);
    waited += delay;
  }
}

function outcomeOf(out: DescribeChangeSetCommandOutput, name: string): ChangeSetOutcome {
  const base = {
    name,
    id: out.ChangeSetId,
    executionStatus: out.ExecutionStatus,
    changeSetType: (out as { ChangeSetType?: string }).ChangeSetType,
    changes: out.Changes ?? [],
  };
  if (out.Status === 'FAILED') {
    if (isNoChangesReason(out.StatusReason))
      return { ...base, status: 'no-changes', reason: out.StatusReason };
    return { ...base, status: 'failed', reason: out.StatusReason ?? 'change set FAILED without a reason' };
  }
  return { ...base, status: 'ready' };
}

/**
 * Create a change set (CREATE or UPDATE by existence) from the given template and parameters, wait for it
 * and describe every change. A FAILED "no changes" change set is `no-changes`; any other FAILED one is
 * `failed` with CloudFormation's reason. Throws (wrapped) when an API call fails, and with
 * `existing: 'refuse'` when the name is taken.
 */
export async function createChangeSet(req: ChangeSetRequest): Promise<ChangeSetOutcome> {
  const { cfn, stackName, name } = req;
  const log = req.logger;
  const existing = await describeFirstPage(cfn, stackName, name);
  if (existing && req.existing === 'refuse') {
    throw new Error(
      `a change set named ${name} already exists on ${stackName} (${existing.Status ?? 'unknown status'}); ` +
        'apply only executes change sets it created in this run, so it will not use it: re-run apply',
    );
  }
  if (existing) {
    log?.debug(`replacing change set ${name} (${existing.Status})`);
    try {
      await cfn.send(
        new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: existing.ChangeSetId ?? name }),
      );
    } catch (err) {
      if (!isChangeSetNotFound(err))
        throw wrapAwsError(`could not delete stale change set ${name} of ${stackName}`, err);
    }
  }
  const created = await withRetry(
    () =>
      cfn.send(
        new CreateChangeSetCommand({
          StackName: stackName,
          ChangeSetName: name,
          ChangeSetType: req.exists ? 'UPDATE' : 'CREATE',
          TemplateBody: req.templateBody,
          Parameters: Object.keys(req.parameters)
            .sort()
            .map((k) => ({ ParameterKey: k, ParameterValue: req.parameters[k] })),
          Capabilities: [...CHANGE_SET_CAPABILITIES],
          RoleARN: req.roleArn,
          Description: req.description,
          Tags: Object.entries(req.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    {
      label: `create change set ${name}`,
      // The name of a change set being deleted stays taken for a moment.
      retryable: (err) => errorCode(err) === 'AlreadyExistsException',
      attempts: 5,
      baseDelayMs: 1000,
      sleep: req.sleep,
    },
  ).catch((err: unknown) => {
    throw wrapAwsError(`could not create change set for ${stackName}`, err);
  });
  log?.debug(`created change set ${name} (${created.Id ?? 'no id'})`);
  // From here on by its id: a change set deleted and made again under the same name is another one.
  const ref = created.Id ?? name;
  const done = await waitForChangeSet(cfn, stackName, ref, req);
  const full = await describeChangeSetFully(cfn, stackName, ref, done);
  return { ...outcomeOf(full ?? done, name), id: created.Id ?? (full ?? done).ChangeSetId };
}

/**
 * Delete a change set by its id (ARN): one already gone counts as deleted. Returns the error's message
 * instead of throwing: a clean-up that fails must not hide why the change set was not executed.
 */
export async function deleteChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  id: string,
  sleep?: (ms: number) => Promise<void>,
): Promise<string | undefined> {
  try {
    await withRetry(() => cfn.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: id })), {
      label: `DeleteChangeSet ${id}`,
      sleep,
    });
    return undefined;
  } catch (err) {
    return isChangeSetNotFound(err) ? undefined : errorMessage(err);
  }
}
