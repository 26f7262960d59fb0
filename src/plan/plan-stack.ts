import path from 'node:path';
import type { AwsClientFactory } from '../aws/client-factory.js';
import {
  changeSetName,
  contentHash,
  formatChangeSetDescription,
} from '../aws/cloudformation/change-set-identity.js';
import { createChangeSet, isNoChangesReason } from '../aws/cloudformation/change-sets.js';
import type { StackState } from '../aws/cloudformation/stack-state.js';
import { parseTemplate } from '../gitops/cfn-yaml.js';
import { displayPath } from '../gitops/load-gitops.js';
import { deployRegionOf, resolveStackParameters, type Resolved } from '../gitops/resolve-source.js';
import {
  cloudFormationRoleArn,
  stackName,
  type GitopsConfig,
  type RegionConfig,
  type StackSpec,
} from '../gitops/types.js';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { readLastStackDrift } from '../drift/last-stack-drift.js';
import type { ParameterChange, StackPlan } from './plan-types.js';
import { stackRisk } from '../review/risk-rules.js';
import { changeSetWithDiff } from '../review/stack-changes.js';
import type { StackStateCache } from '../aws/cloudformation/stack-outputs.js';
import { diffTemplates, type TemplateDiffResult } from '../review/template-diff.js';
import {
  changedParameters,
  effectiveParameterValues,
  inlineParameters,
} from '../review/effective-parameters.js';
import type { StackTemplates } from '../review/risk-rules.js';

/** A problem that stopped (part of) a plan, for PlanReport.errors. */
export interface PlanError {
  message: string;
  file?: string;
  line?: number;
}

export interface PlanStackInput {
  config: GitopsConfig;
  baseConfig?: GitopsConfig;
  /** The region file declaring the stack (for account stacks: accountRegion(config)). */
  region: RegionConfig;
  baseRegion?: RegionConfig;
  spec: StackSpec;
  headSha: string;
  /** Online planning; undefined = offline. */
  aws?: { factory: AwsClientFactory; states: StackStateCache };
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface PlanStackResult {
  plan: StackPlan;
  errors: PlanError[];
}

function templateFile(config: GitopsConfig, template: string): string {
  return displayPath(config.dir, path.join(config.dir, 'stacks', `${template}.yaml`));
}

function parsed(
  config: GitopsConfig,
  template: string,
): { body?: string; json?: Record<string, unknown>; error?: PlanError } {
  const body = config.templates.get(template);
  if (body === undefined) return {};
  try {
    return { body, json: parseTemplate(body, templateFile(config, template)) };
  } catch (err) {
    const loc = err instanceof ConfigurationError ? err.location : undefined;
    return {
      body,
      error: {
        message: errorMessage(err),
        file: loc?.file ?? templateFile(config, template),
        line: loc?.line,
      },
    };
  }
}

/**
 * The head template's declared parameters and their defaults, as CloudFormation shows them (strings).
 * An SSM-typed parameter's default is a path the deployed stack shows resolved: not comparable, undefined.
 */
function templateDefaults(template: Record<string, unknown>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const params = (template.Parameters ?? {}) as Record<
    string,
    { Type?: unknown; Default?: unknown } | undefined
  >;
  for (const [key, p] of Object.entries(params)) {
    const d = p?.Default;
    const ssm = typeof p?.Type === 'string' && p.Type.startsWith('AWS::SSM::Parameter::');
    out.set(
      key,
      ssm || d === undefined || d === null ? undefined : Array.isArray(d) ? d.join(',') : String(d),
    );
  }
  return out;
}

function parameterChanges(
  head: Record<string, Resolved>,
  before: Record<string, string | undefined>,
  defaults: Map<string, string | undefined> = new Map(),
): ParameterChange[] {
  const out: ParameterChange[] = [];
  for (const key of [...new Set([...Object.keys(head), ...Object.keys(before)])].sort()) {
    const h = head[key];
    const b = before[key];
    if (!h) {
      // A deployed stack lists every parameter, also those left to the template's default: not passing
      // one keeps (or returns to) that default; only a parameter the template dropped is removed.
      if (!defaults.has(key)) out.push({ key, before: b, known: true, reason: 'removed' });
      else {
        const d = defaults.get(key);
        if (d !== undefined && d !== b)
          out.push({ key, ...(b !== undefined ? { before: b } : {}), after: d, known: true });
      }
    } else if (!h.known) {
      out.push({ key, ...(b !== undefined ? { before: b } : {}), known: false, reason: h.reason });
    } else if (h.value !== b) {
      out.push({ key, ...(b !== undefined ? { before: b } : {}), after: h.value, known: true });
    }
  }
  return out;
}

function knownValues(resolved: Record<string, Resolved>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(resolved)) out[k] = v.known ? v.value : undefined;
  return out;
}

function finish(plan: StackPlan, templates?: StackTemplates): StackPlan {
  Object.assign(plan, stackRisk(plan, templates));
  return plan;
}

function describeState(state: StackState): string | undefined {
  if (state.inProgress) return `stack is ${state.status}: plan again when CloudFormation has finished`;
  if (state.unrecoverable) {
    return `stack is ${state.status}${state.statusReason ? ` (${state.statusReason})` : ''}: it cannot be updated; it must be deleted before it can be created again`;
  }
  return undefined;
}

/**
 * Plan one stack: template diff base → head (always), parameters resolved against deployed outputs, and
 * online a fresh change set named for the head SHA (one left under that name is replaced). A parameter fed
 * by an output that does not exist yet makes the stack `blocked` (known after apply) without a change set.
 * Never throws: AWS failures become a `failed` stack with the reason.
 */
export async function planStack(input: PlanStackInput): Promise<PlanStackResult> {
  const { config, baseConfig, region, spec, aws, logger: log } = input;
  const errors: PlanError[] = [];
  const deployRegion = deployRegionOf(spec, region, config);
  const name = stackName(config.platform.project, region.name, spec.name);
  // A region disabled on main has nothing deployed from it: every one of its stacks is a creation.
  const baseSpec = input.baseRegion?.enabled
    ? input.baseRegion.stacks.find((s) => s.name === spec.name)
    : undefined;
  const head = parsed(config, spec.template);
  const base = baseConfig && baseSpec ? parsed(baseConfig, baseSpec.template) : {};
  const plan: StackPlan = {
    region: region.name,
    deployRegion,
    stack: spec.name,
    stackName: name,
    template: spec.template,
    status: aws ? 'failed' : 'offline',
    changes: [],
    parameters: [],
    templateDiff: '',
    risk: 'none',
    findings: [],
  };
  if (head.error || head.json === undefined || head.body === undefined) {
    const error = head.error ?? {
      message: `stack ${spec.name} uses template ${spec.template}, but stacks/${spec.template}.yaml does not exist`,
      file: region.file,
      line: spec.line,
    };
    errors.push(error);
    plan.status = 'failed';
    plan.reason = error.message;
    return { plan: finish(plan), errors };
  }
  // A broken base template is not this pull request's problem: diff against nothing, and say so.
  if (base.error)
    log.warn(
      `base template of ${name} does not parse (${base.error.message}); diffing against an empty template`,
    );

  const outputs = aws ? aws.states.lookup() : () => undefined;
  const ctx = { config, region, outputs };
  if (aws) await aws.states.prefetch(config, region, Object.values(spec.parameters));
  const resolved = resolveStackParameters(spec, ctx);
  const baseResolved =
    baseConfig && baseSpec && input.baseRegion
      ? resolveStackParameters(baseSpec, { config: baseConfig, region: input.baseRegion, outputs })
      : {};

  // Parameters whose effective value changes (a changed default no region overrides, a new field value)
  // are written into both templates: the resources using them are changes, with replacement impact.
  const baseValues = effectiveParameterValues(base.json, knownValues(baseResolved));
  const headValues = effectiveParameterValues(head.json, knownValues(resolved));
  const moved = new Set(changedParameters(baseValues, headValues).keys());
  const baseJson = inlineParameters(base.json, baseValues, moved);
  const headJson = inlineParameters(head.json, headValues, moved);
  const templates = (created: boolean): StackTemplates => ({
    before: created || !base.json ? undefined : { template: base.json, parameters: baseValues },
    after: { template: head.json, parameters: headValues },
    listenerPorts: config.platform.loadBalancer.listenerPorts,
  });

  if (!aws) {
    const diff = diffTemplates(baseJson, headJson);
    plan.templateDiff = diff.text;
    plan.changes = diff.changes;
    plan.iam = diff.iam;
    // Offline, an output neither side can know yet is not a change when main takes it from the same
    // source: only a parameter whose known value or whose source differs is one.
    plan.parameters = parameterChanges(resolved, knownValues(baseResolved)).filter((p) => {
      const b = baseResolved[p.key];
      return p.known || !b || b.known || b.reason !== p.reason;
    });
    const unknown = Object.values(resolved).filter((r) => !r.known).length;
    plan.reason =
      (base.json
        ? 'offline: template diff base → head only'
        : 'offline: not deployed from main (region or stack disabled or absent there): every resource is a creation') +
      (unknown ? `; ${unknown} parameter${unknown === 1 ? '' : 's'} known after apply` : '');
    return { plan: finish(plan, templates(!base.json)), errors };
  }

  let state: StackState;
  try {
    state = await aws.states.state(deployRegion, name);
  } catch (err) {
    plan.reason = errorMessage(err);
    const diff = diffTemplates(baseJson, headJson);
    Object.assign(plan, { templateDiff: diff.text, changes: diff.changes, iam: diff.iam });
    log.error(`${name}: ${plan.reason}`);
    // An AWS call that failed leaves the plan incomplete: the step must not pass as if it were whole.
    errors.push({ message: `${name} could not be planned: ${plan.reason}` });
    return { plan: finish(plan, templates(false)), errors };
  }
  // What the change set compares with is the deployed stack: a stack never deployed diffs from nothing.
  const diff: TemplateDiffResult = diffTemplates(state.needsCreate ? undefined : baseJson, headJson);
  plan.templateDiff = diff.text;
  plan.parameters = parameterChanges(
    resolved,
    state.exists && !state.needsCreate ? state.parameters : knownValues(baseResolved),
    templateDefaults(head.json),
  );

  const busy = describeState(state);
  if (busy) {
    Object.assign(plan, { status: 'failed', reason: busy, changes: diff.changes, iam: diff.iam });
    log.warn(`${name}: ${busy}`);
    return { plan: finish(plan, templates(state.needsCreate)), errors };
  }
  // What was changed by hand, as the last detection saw it: read only (the plan role starts no detection).
  if (state.exists && !state.needsCreate) {
    plan.lastDrift = await readLastStackDrift(aws.factory.cloudFormation(deployRegion), state, input.sleep);
  }
  const unknown = Object.entries(resolved).filter(([, r]) => !r.known);
  if (unknown.length) {
    Object.assign(plan, {
      status: 'blocked',
      changes: diff.changes,
      iam: diff.iam,
      reason: `change set after earlier stacks are applied: ${unknown
        .map(([k, r]) => `${k} ${r.known ? '' : r.reason}`)
        .join('; ')}`,
    });
    log.info(`${name}: blocked (${unknown.map(([k]) => k).join(', ')} known after apply)`);
    return { plan: finish(plan, templates(state.needsCreate)), errors };
  }

  const params = Object.fromEntries(Object.entries(resolved).map(([k, r]) => [k, r.known ? r.value : '']));
  const hash = contentHash(head.body, params);
  plan.hash = hash;
  plan.changeSetName = changeSetName(input.headSha, name);
  try {
    // Always a fresh change set: one found under this name may be anybody's (the plan role can create
    // change sets), so neither its name nor its Description makes it this plan's.
    const outcome = await createChangeSet({
      cfn: aws.factory.cloudFormation(deployRegion),
      stackName: name,
      templateBody: head.body,
      parameters: params,
      name: plan.changeSetName,
      // For people reading the console only: nothing reads it back.
      description: formatChangeSetDescription({ hash, head: input.headSha }),
      exists: !state.needsCreate,
      // Regional stacks run as the github-oidc CloudFormation role; account stacks are a person's, with their own rights.
      roleArn: input.config.platform.account.stacks.includes(input.spec)
        ? undefined
        : cloudFormationRoleArn(input.config.platform),
      existing: 'replace',
      logger: log,
      sleep: input.sleep,
    });
    plan.changeSetId = outcome.id;
    plan.reason = outcome.reason;
    if (outcome.status === 'no-changes') {
      Object.assign(plan, { status: 'no-changes', changes: [], iam: undefined });
    } else if (outcome.status === 'failed') {
      Object.assign(plan, { status: 'failed', changes: diff.changes, iam: diff.iam });
      // What was reviewed cannot be applied as it is: the step must fail, not only show it.
      errors.push({ message: `${name}: change set ${plan.changeSetName} FAILED: ${plan.reason}` });
    } else {
      Object.assign(plan, {
        status: state.needsCreate ? 'create' : 'update',
        ...changeSetWithDiff(outcome.changes, diff),
      });
    }
    finish(plan, templates(state.needsCreate));
    log.info(
      `${name}: ${plan.status}` +
        (plan.status === 'failed'
          ? `: ${plan.reason}`
          : ` (${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}, risk ${plan.risk})`),
    );
  } catch (err) {
    // CloudFormation (and moto) may refuse an unchanged template and parameters at CreateChangeSet
    // itself instead of making a FAILED change set: the same "nothing to do", not an error.
    if (isNoChangesReason(errorMessage(err))) {
      Object.assign(plan, { status: 'no-changes', changes: [], iam: undefined, reason: undefined });
      // Nothing was created under that name.
      plan.changeSetId = undefined;
      plan.changeSetName = undefined;
      log.info(`${name}: no-changes (CloudFormation: ${errorMessage(err).split('\n')[0]})`);
      return { plan: finish(plan, templates(state.needsCreate)), errors };
    }
    Object.assign(plan, {
      status: 'failed',
      reason: errorMessage(err),
      changes: diff.changes,
      iam: diff.iam,
    });
    log.error(`${name}: ${plan.reason}`);
    errors.push({ message: `${name} could not be planned: ${plan.reason}` });
    finish(plan, templates(state.needsCreate));
  }
  return { plan, errors };
}
