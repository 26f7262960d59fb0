import { GetTemplateCommand, type Change, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { applyChangeSetName, changeSetName } from '../aws/cloudformation/change-set-identity.js';
import {
  createChangeSet,
  deleteChangeSet,
  describeChangeSetFully,
  isNoChangesReason,
} from '../aws/cloudformation/change-sets.js';
import {
  executeChangeSet,
  recoverRolledBackCreate,
  updateRollbackFailedMessage,
  waitForStackIdle,
} from '../aws/cloudformation/execute-change-set.js';
import { setStackPolicy } from '../aws/cloudformation/stack-policy.js';
import type { StackStateCache } from '../aws/cloudformation/stack-outputs.js';
import { describeStackState } from '../aws/cloudformation/stack-state.js';
import { deployRegionOf, resolveStackParameters, type Resolved } from '../gitops/resolve-source.js';
import {
  cloudFormationRoleArn,
  stackName as stackNameOf,
  type GitopsConfig,
  type RegionConfig,
  type StackSpec,
} from '../gitops/types.js';
import { parseTemplate } from '../gitops/cfn-yaml.js';
import { changeIdentities } from '../review/change-set-comparison.js';
import { decideReview, type ReviewedReference } from '../review/review-decision.js';
import { stackRisk } from '../review/risk-rules.js';
import { changeSetWithDiff } from '../review/stack-changes.js';
import { diffTemplates } from '../review/template-diff.js';
import { effectiveParameterValues } from '../review/effective-parameters.js';
import type { ResourceChange } from '../review/review-types.js';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { withRetry } from '../util/retry.js';
import type { AppliedStack } from './apply-types.js';

/** Everything applying one stack needs; nothing about waves or other stacks. */
export interface ApplyStackInput {
  config: GitopsConfig;
  /** The region file declaring the stack (the account stand-in for `apply --account`). */
  region: RegionConfig;
  spec: StackSpec;
  /** The commit being deployed. */
  headSha: string;
  /** The head of the merged pull request the plan ran at. */
  reviewedHeadSha?: string;
  dryRun: boolean;
  allowDestructive: boolean;
  /** Account stacks (`apply --account`): CloudFormation acts with the caller's own credentials. */
  account: boolean;
  aws: AwsClientFactory;
  /** Shared outputs: read for `{ output }` parameters, recorded after the stack is applied. */
  outputs: StackStateCache;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Epoch ms by which the whole run must end. */
  deadline: number;
  /** Between polls of a stack being changed (default 5 s). */
  pollIntervalMs?: number;
  /** Longest wait for another operation holding a stack (default 10 min, capped by the deadline). */
  busyStackWaitMs?: number;
}

/** `Add Vpc (AWS::EC2::VPC)`, with `, replacement` / `, may replace`. */
export function changeLine(c: ResourceChange): string {
  const repl =
    c.replacement === 'True' ? ', replacement' : c.replacement === 'Conditional' ? ', may replace' : '';
  return `${c.action} ${c.logicalId} (${c.type}${repl})`;
}

function remaining(input: ApplyStackInput): number {
  return Math.max(0, input.deadline - input.now());
}

async function templateMatches(
  cfn: CloudFormationClient,
  stackName: string,
  body: string,
  sleep: ApplyStackInput['sleep'],
) {
  const out = await withRetry(
    () => cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' })),
    { label: `GetTemplate ${stackName}`, sleep },
  );
  return out.TemplateBody === body;
}

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT|EAI_AGAIN|TimeoutError|network error/i;

/** The error, without the SDK's wrapper wording, and what to do when AWS could not be reached at all. */
export function failureMessage(err: unknown): string {
  const text = errorMessage(err).replace(/AWS SDK error wrapper for \w+: /g, '');
  return UNREACHABLE.test(text)
    ? `${text} (AWS could not be reached; the stack may be mid-operation: re-run apply to continue where this stopped)`
    : text;
}

/** The record of a stack that was not reached because an earlier one failed. */
export function notReachedStack(config: GitopsConfig, region: RegionConfig, spec: StackSpec): AppliedStack {
  return {
    region: region.name,
    deployRegion: deployRegionOf(spec, region, config),
    stack: spec.name,
    stackName: stackNameOf(config.platform.project, region.name, spec.name),
    reviewed: false,
    result: 'not-reached',
    changes: [],
    durationMs: 0,
  };
}

/**
 * Apply one stack: find the reviewed change set or make a fresh one, check its risk, execute, record
 * its outputs. Never throws: a failure is the record's `failed` with the reason.
 */
export async function applyStack(input: ApplyStackInput): Promise<AppliedStack> {
  const { config, region, spec, logger: log } = input;
  const started = input.now();
  const deployRegion = deployRegionOf(spec, region, config);
  const name = stackNameOf(config.platform.project, region.name, spec.name);
  const record: AppliedStack = {
    region: region.name,
    deployRegion,
    stack: spec.name,
    stackName: name,
    reviewed: false,
    result: 'failed',
    changes: [],
    durationMs: 0,
  };
  const done = (patch: Partial<AppliedStack>): AppliedStack => {
    Object.assign(record, patch, { durationMs: input.now() - started });
    const line = `${name}: ${record.result}${record.changeSet ? ` (${record.changeSet})` : ''}${record.message ? ` – ${record.message}` : ''}`;
    if (record.result === 'failed' || record.result === 'refused') log.error(line);
    else log.info(line);
    return record;
  };
  const cfn = input.aws.cloudFormation(deployRegion);
  // Apply's own change set until it is handed to ExecuteChangeSet: whatever ends the stack before that
  // (no changes, refused, dry run, an error) deletes it, so a run leaves nothing half-done behind.
  let unexecuted: { id: string; name: string } | undefined;
  const waitOpts = { sleep: input.sleep, pollIntervalMs: input.pollIntervalMs, now: input.now, logger: log };

  try {
    const template = config.templates.get(spec.template);
    if (template === undefined) {
      throw new ConfigurationError(
        `stack ${spec.name} uses template stacks/${spec.template}.yaml, which does not exist`,
        {
          file: region.file,
          line: spec.line,
        },
      );
    }

    let state = await waitForStackIdle(cfn, name, {
      ...waitOpts,
      boundMs: Math.min(input.busyStackWaitMs ?? 10 * 60_000, remaining(input)),
    });
    if (state.status === 'UPDATE_ROLLBACK_FAILED') {
      return done({ message: updateRollbackFailedMessage(name, state.statusReason) });
    }
    if (state.status === 'ROLLBACK_COMPLETE') {
      if (input.dryRun) {
        return done({
          result: 'dry-run',
          message:
            'ROLLBACK_COMPLETE from a failed create: a real run deletes it (when empty) and creates it again',
        });
      }
      await recoverRolledBackCreate(cfn, name, { ...waitOpts, timeoutMs: remaining(input) });
      state = await describeStackState(cfn, name);
    } else if (state.unrecoverable) {
      return done({
        message: `${name} is ${state.status}${state.statusReason ? ` (${state.statusReason})` : ''}: CloudFormation can only delete it; inspect and delete it by hand, then re-run`,
      });
    }

    await input.outputs.prefetch(config, region, Object.values(spec.parameters));
    const resolved = resolveStackParameters(spec, { config, outputs: input.outputs.lookup(), region });
    const missing = Object.entries(resolved).filter(
      (e): e is [string, Extract<Resolved, { known: false }>] => !e[1].known,
    );
    if (missing.length > 0) {
      const what = missing.map(([k, r]) => `${k}: ${r.reason}`).join('; ');
      if (input.dryRun)
        return done({
          result: 'dry-run',
          message: `parameters not known before an earlier stack is applied (${what})`,
        });
      return done({
        message: `cannot resolve parameters (${what}): an earlier stack did not produce the output it needs; check that stack's Outputs`,
      });
    }
    const params = Object.fromEntries(
      Object.entries(resolved).map(([k, r]) => [k, (r as Extract<Resolved, { known: true }>).value]),
    );
    const deployed = state.exists && !state.needsCreate;

    // The reviewed change set, read before anything runs (executing a change set deletes the stack's
    // others): only ever a reference for the comparison, never executed.
    const reference = await readReviewedReference(cfn, name, input);

    // Nothing to do: same template, same parameters. Checked before making a change set so a re-run is quick.
    if (
      deployed &&
      Object.entries(params).every(([k, v]) => state.parameters[k] === v) &&
      (await templateMatches(cfn, name, template, input.sleep))
    ) {
      input.outputs.record(region.name, spec.name, state.outputs);
      const decision = decideReview({
        stackName: name,
        applied: { status: 'no-changes', identities: [], risk: 'none', findings: [] },
        reviewed: reference,
        allowDestructive: input.allowDestructive,
      });
      return done({
        result: 'no-changes',
        decision: decision.kind,
        reviewed: decision.kind === 'no-changes' && decision.reviewed,
        reviewedChangeSet: 'name' in reference ? reference.name : undefined,
        differences: decision.differences.map((d) => d.summary),
      });
    }

    const declared = parseTemplate(template, `stacks/${spec.template}.yaml`);
    const deployedTemplate = deployed ? await deployedTemplateOf(cfn, name, input.sleep) : undefined;

    // Apply's own change set, from main's template and parameters, with the role apply chose.
    const ownName = applyChangeSetName(input.headSha, name);
    const own = await createOwnChangeSet(input, { cfn, name, ownName, template, params, deployed });
    if (own.id) unexecuted = { id: own.id, name: ownName };
    if (own.status === 'failed') {
      return done({ changeSet: ownName, message: `change set failed: ${own.reason}` });
    }
    const merged =
      own.status === 'ready'
        ? changeSetWithDiff(own.changes, diffTemplates(deployedTemplate, declared))
        : { changes: [], iam: undefined };
    // The same domain rules the plan ran: deployed template and parameters → main's template and parameters.
    const assessed = stackRisk(
      {
        region: region.name,
        stackName: name,
        status: own.status === 'no-changes' ? 'no-changes' : deployed ? 'update' : 'create',
        changes: merged.changes,
        iam: merged.iam,
      },
      {
        before: deployedTemplate
          ? {
              template: deployedTemplate,
              parameters: effectiveParameterValues(deployedTemplate, state.parameters),
            }
          : undefined,
        after: { template: declared, parameters: effectiveParameterValues(declared, params) },
        listenerPorts: input.config.platform.loadBalancer.listenerPorts,
      },
    );
    const decision = decideReview({
      stackName: name,
      applied: {
        status: own.status,
        identities: own.status === 'ready' ? changeIdentities(own.changes) : [],
        risk: assessed.risk,
        findings: assessed.findings,
      },
      reviewed: reference,
      allowDestructive: input.allowDestructive,
    });
    const shown = {
      changeSet: ownName,
      reviewedChangeSet: 'name' in reference ? reference.name : undefined,
      decision: decision.kind,
      differences: decision.differences.map((d) => d.summary),
      changes: merged.changes.map(changeLine),
    };
    for (const c of merged.changes) log.info(`  ${changeLine(c)}`);
    for (const d of decision.differences) log.warn(`  differs from the reviewed change set: ${d.summary}`);
    if (decision.kind === 'no-changes') {
      return done({ ...shown, result: 'no-changes', reviewed: decision.reviewed });
    }
    if (decision.kind === 'refuse') {
      return done({
        ...shown,
        result: 'refused',
        risk: decision.risk,
        message:
          `not applied: ${decision.reason}. Re-plan it: open a pull request with this change (the plan ` +
          `workflow comments what it would do), or re-run plan-region on ${input.headSha.slice(0, 12)} and then this apply.`,
      });
    }
    if (decision.kind === 'execute-with-differences') {
      log.warn(`${name}: executing ${ownName} from main; ${decision.note}`);
    } else {
      log.info(`${name}: executing ${ownName} from main: the same changes as ${shown.reviewedChangeSet}`);
    }
    if (input.dryRun)
      return done({
        ...shown,
        result: 'dry-run',
        risk: decision.risk,
        reviewed: decision.kind === 'execute-reviewed',
      });
    unexecuted = undefined;
    return await execute(input, {
      cfn,
      name,
      changeSetId: own.id ?? ownName,
      created: !deployed,
      liftStackPolicy: decision.liftStackPolicy,
      base: { ...shown, risk: decision.risk, reviewed: decision.kind === 'execute-reviewed' },
      done,
    });
  } catch (err) {
    return done({ message: failureMessage(err) });
  } finally {
    if (unexecuted) await discardChangeSet(input, cfn, name, unexecuted, record);
  }
}

/** Delete apply's own change set that was not executed; the record says so (or why it is still there). */
async function discardChangeSet(
  input: ApplyStackInput,
  cfn: CloudFormationClient,
  stackName: string,
  own: { id: string; name: string },
  record: AppliedStack,
): Promise<void> {
  const failed = await deleteChangeSet(cfn, stackName, own.id, input.sleep);
  if (failed) {
    input.logger.warn(
      `${stackName}: could not delete ${own.name}, not executed (${failed}): delete it by hand`,
    );
    return;
  }
  record.changeSetDeleted = true;
  input.logger.info(`${stackName}: deleted ${own.name} (${record.result}: not executed)`);
}

/** The reviewed change set (`cg-<reviewed head>-<stack>`), described, as a reference. */
async function readReviewedReference(
  cfn: CloudFormationClient,
  stackName: string,
  input: ApplyStackInput,
): Promise<ReviewedReference> {
  // Without a merged pull request, the plan a rollout ran on this very commit is the reference.
  const head = input.reviewedHeadSha ?? input.headSha;
  const refName = changeSetName(head, stackName);
  const cs = await describeChangeSetFully(cfn, stackName, refName);
  if (!cs) return input.reviewedHeadSha ? { state: 'absent', name: refName } : { state: 'no-pull-request' };
  if (cs.Status === 'FAILED' && isNoChangesReason(cs.StatusReason))
    return { state: 'no-changes', name: refName };
  if (cs.Status === 'CREATE_COMPLETE') {
    return { state: 'ready', name: refName, identities: changeIdentities(cs.Changes ?? []) };
  }
  return {
    state: 'unusable',
    name: refName,
    status: `${cs.Status ?? '?'}${cs.StatusReason ? ` (${cs.StatusReason})` : ''}`,
  };
}

async function deployedTemplateOf(
  cfn: CloudFormationClient,
  stackName: string,
  sleep: ApplyStackInput['sleep'],
): Promise<Record<string, unknown> | undefined> {
  const out = await withRetry(
    () => cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' })),
    { label: `GetTemplate ${stackName}`, sleep },
  );
  return out.TemplateBody ? parseTemplate(out.TemplateBody, `deployed template of ${stackName}`) : undefined;
}

type OwnChangeSet =
  | { status: 'ready'; id?: string; changes: Change[] }
  | { status: 'no-changes'; id?: string }
  | { status: 'failed'; id?: string; reason: string };

async function createOwnChangeSet(
  input: ApplyStackInput,
  a: {
    cfn: CloudFormationClient;
    name: string;
    ownName: string;
    template: string;
    params: Record<string, string>;
    deployed: boolean;
  },
): Promise<OwnChangeSet> {
  try {
    const outcome = await createChangeSet({
      cfn: a.cfn,
      stackName: a.name,
      templateBody: a.template,
      parameters: a.params,
      name: a.ownName,
      description: `coder-gitops apply head=${input.headSha}`,
      exists: a.deployed,
      roleArn: input.account ? undefined : cloudFormationRoleArn(input.config.platform),
      existing: 'refuse',
      logger: input.logger,
      sleep: input.sleep,
    });
    if (outcome.status === 'failed')
      return { status: 'failed', id: outcome.id, reason: outcome.reason ?? 'no reason given' };
    if (outcome.status === 'no-changes') return { status: 'no-changes', id: outcome.id };
    return { status: 'ready', id: outcome.id, changes: outcome.changes };
  } catch (err) {
    // CloudFormation (and moto) may refuse an unchanged template at CreateChangeSet itself.
    if (isNoChangesReason(errorMessage(err))) return { status: 'no-changes' };
    throw err;
  }
}

async function execute(
  input: ApplyStackInput,
  a: {
    cfn: CloudFormationClient;
    name: string;
    /** The id (ARN) of apply's own change set: executed by id, never by a name someone could reuse. */
    changeSetId: string;
    created: boolean;
    liftStackPolicy: boolean;
    base: Partial<AppliedStack>;
    done: (patch: Partial<AppliedStack>) => AppliedStack;
  },
): Promise<AppliedStack> {
  const log = input.logger;
  if (!a.created) {
    if (a.liftStackPolicy)
      log.warn(
        `${a.name}: stack policy lifted for this change (allow-destructive, high risk, the same high-risk changes as reviewed)`,
      );
    await setStackPolicy(a.cfn, a.name, a.liftStackPolicy, input.sleep);
  }
  let result: Awaited<ReturnType<typeof executeChangeSet>>;
  try {
    result = await executeChangeSet({
      cfn: a.cfn,
      stackName: a.name,
      changeSetName: a.changeSetId,
      logger: log,
      timeoutMs: remaining(input),
      sleep: input.sleep,
      pollIntervalMs: input.pollIntervalMs,
      now: input.now,
    });
  } finally {
    // A lifted policy goes back on whatever happened (a failed run must not leave the stack open).
    if (a.liftStackPolicy) await setStackPolicy(a.cfn, a.name, false, input.sleep);
  }
  if (!result.ok) return a.done({ ...a.base, result: 'failed', message: result.message });
  // The protective policy on a stack just created.
  if (a.created) await setStackPolicy(a.cfn, a.name, false, input.sleep);
  const state = await describeStackState(a.cfn, a.name);
  input.outputs.record(input.region.name, input.spec.name, state.outputs);
  return a.done({ ...a.base, result: a.created ? 'created' : 'updated' });
}
