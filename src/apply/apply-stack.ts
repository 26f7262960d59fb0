import { GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/client-factory.js';
import {
  changeSetName,
  contentHash,
  parseChangeSetDescription,
  riskExceeds,
  type Risk,
} from '../aws/cloudformation/change-set-identity.js';
import {
  createChangeSet,
  describeChangeSetFully,
  isNoChangesReason,
} from '../aws/cloudformation/change-sets.js';
import {
  executeChangeSet,
  recoverRolledBackCreate,
  updateRollbackFailedMessage,
  waitForStackIdle,
} from '../aws/cloudformation/execute-change-set.js';
import { allowsDestructive, setStackPolicy } from '../aws/cloudformation/stack-policy.js';
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
import { changeSetResourceChanges } from '../plan/change-set-changes.js';
import type { ResourceChange } from '../plan/plan-types.js';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { withRetry } from '../util/retry.js';
import type { AppliedStack } from './apply-types.js';
import { assessChangeRisk } from './change-risk.js';

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

/**
 * Risk a fresh change set may carry when the plan left no change set for the stack (its parameters were
 * known only after an earlier stack's apply, as on a first rollout): new IAM roles and in-place changes
 * pass, replacing or deleting anything stateful never does without a reviewed plan.
 */
const UNREVIEWED_LIMIT: Risk = 'medium';

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
    const hash = contentHash(template, params);
    const deployed = state.exists && !state.needsCreate;

    // Nothing to do: same template, same parameters. Checked first so a re-run is quick.
    if (
      deployed &&
      Object.entries(params).every(([k, v]) => state.parameters[k] === v) &&
      (await templateMatches(cfn, name, template, input.sleep))
    ) {
      input.outputs.record(region.name, spec.name, state.outputs);
      return done({ result: 'no-changes' });
    }

    // The change set the plan made for the reviewed head (or for this commit, when plan-region re-ran on it).
    const heads = [...new Set([input.reviewedHeadSha, input.headSha].filter((h): h is string => !!h))];
    let reviewedRisk: Risk | undefined;
    let staleNote = '';
    for (const head of heads) {
      const csName = changeSetName(head, name);
      const cs = await describeChangeSetFully(cfn, name, csName);
      const desc = parseChangeSetDescription(cs?.Description);
      if (!cs || !desc) continue;
      if (desc.hash !== hash) {
        reviewedRisk ??= desc.risk;
        staleNote = `the reviewed change set ${csName} no longer matches the template and parameters`;
        continue;
      }
      if (cs.Status === 'FAILED' && isNoChangesReason(cs.StatusReason)) {
        return done({ result: 'no-changes', changeSet: csName, reviewed: true });
      }
      if (cs.Status === 'CREATE_COMPLETE' && cs.ExecutionStatus === 'AVAILABLE') {
        const changes = changeSetResourceChanges(cs.Changes ?? []);
        log.info(`executing the reviewed change set ${csName} (risk ${desc.risk})`);
        return await execute(input, {
          cfn,
          name,
          csName,
          created: !deployed,
          reviewedRisk: desc.risk,
          risk: desc.risk,
          changes,
          done,
          reviewed: true,
        });
      }
      reviewedRisk ??= desc.risk;
      staleNote = `the reviewed change set ${csName} is ${cs.ExecutionStatus ?? cs.Status} and cannot be executed`;
    }

    // No executable reviewed change set: make one from this commit, show it, and weigh it.
    const freshName = changeSetName(input.headSha, name).replace(/^cg-/, 'ca-');
    if (staleNote) log.info(`${staleNote}: creating ${freshName}`);
    const outcome = await createChangeSet({
      cfn,
      stackName: name,
      templateBody: template,
      parameters: params,
      name: freshName,
      // Not the plan's Description format: an apply-made change set must never pass for a reviewed one.
      description: `coder-gitops apply hash=${hash} head=${input.headSha}`,
      exists: deployed,
      roleArn: input.account ? undefined : cloudFormationRoleArn(config.platform),
      reuse: 'same-description',
      logger: log,
      sleep: input.sleep,
    });
    if (outcome.status === 'no-changes') return done({ result: 'no-changes', changeSet: freshName });
    if (outcome.status === 'failed') {
      return done({
        changeSet: freshName,
        message: `change set failed: ${outcome.reason ?? 'no reason given'}`,
      });
    }
    const changes = changeSetResourceChanges(outcome.changes);
    const assessed = assessChangeRisk(name, changes);
    for (const c of changes) log.info(`  ${changeLine(c)}`);
    if (changes.length === 0) log.info('  (parameters only)');
    const limit = reviewedRisk ?? UNREVIEWED_LIMIT;
    if (riskExceeds(assessed.risk, limit)) {
      const why = assessed.findings.filter((f) => riskExceeds(f.level, limit)).map((f) => f.message);
      return done({
        result: 'refused',
        changeSet: freshName,
        risk: assessed.risk,
        changes: changes.map(changeLine),
        message:
          `not applied: this change set carries ${assessed.risk} risk (${why.join('; ')}), more than the reviewed plan ` +
          `(${reviewedRisk ? `${reviewedRisk} risk` : 'no reviewed change set for this stack'}). Re-plan it: open a pull ` +
          `request with this change (the plan workflow), or re-run plan-region on ${input.headSha.slice(0, 12)} and then this apply.`,
      });
    }
    if (input.dryRun) {
      return done({
        result: 'dry-run',
        changeSet: freshName,
        risk: assessed.risk,
        changes: changes.map(changeLine),
      });
    }
    return await execute(input, {
      cfn,
      name,
      csName: freshName,
      created: !deployed,
      reviewedRisk: limit,
      risk: assessed.risk,
      changes,
      done,
      reviewed: false,
    });
  } catch (err) {
    return done({ message: failureMessage(err) });
  }
}

async function execute(
  input: ApplyStackInput,
  a: {
    cfn: CloudFormationClient;
    name: string;
    csName: string;
    created: boolean;
    reviewedRisk: Risk;
    risk: Risk;
    changes: ResourceChange[];
    done: (patch: Partial<AppliedStack>) => AppliedStack;
    reviewed: boolean;
  },
): Promise<AppliedStack> {
  const log = input.logger;
  const base = {
    changeSet: a.csName,
    risk: a.risk,
    reviewed: a.reviewed,
    changes: a.changes.map(changeLine),
  };
  if (input.dryRun) return a.done({ ...base, result: 'dry-run' });
  const override = allowsDestructive(a.reviewedRisk, input.allowDestructive);
  if (!a.created) {
    if (override)
      log.warn(`${a.name}: stack policy override for this change (reviewed as high risk, allow-destructive)`);
    await setStackPolicy(a.cfn, a.name, override, input.sleep);
  }
  const result = await executeChangeSet({
    cfn: a.cfn,
    stackName: a.name,
    changeSetName: a.csName,
    logger: log,
    timeoutMs: remaining(input),
    sleep: input.sleep,
    pollIntervalMs: input.pollIntervalMs,
    now: input.now,
  });
  if (!result.ok) return a.done({ ...base, result: 'failed', message: result.message });
  // Back to the protective policy (and the first one, for a new stack).
  if (override || a.created) await setStackPolicy(a.cfn, a.name, false, input.sleep);
  const state = await describeStackState(a.cfn, a.name);
  input.outputs.record(input.region.name, input.spec.name, state.outputs);
  return a.done({ ...base, result: a.created ? 'created' : 'updated' });
}
