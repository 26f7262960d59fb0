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
import { describeStackState } from '../aws/cloudformation/stack-state.js';
import { findServiceLoadBalancer } from '../aws/elbv2/find-load-balancer.js';
import { applyRegionAliases, desiredRecords, type DnsMode } from '../aws/route53/alias-records.js';
import type { ClusterReport } from '../cluster/ensure-cluster.js';
import {
  accountRegion,
  deployRegionOf,
  outputRegionOf,
  resolveClusterVars,
  resolveStackParameters,
  type Resolved,
} from '../gitops/resolve-source.js';
import { orderRegions, orderStacks } from '../gitops/stack-order.js';
import {
  cloudFormationRoleArn,
  stackName as stackNameOf,
  type GitopsConfig,
  type RegionConfig,
  type StackSpec,
} from '../gitops/types.js';
import { changeSetResourceChanges } from '../plan/change-set-changes.js';
import type { ResourceChange } from '../plan/plan-types.js';
import { ConfigurationError, errorMessage, InputError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { realSleep, withRetry } from '../util/retry.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';
import type {
  AppliedStack,
  ApplyReport,
  RecordedAliases,
  RegionApplyReport,
  RegionDnsReport,
  RegionOutputs,
  RegionVerifyReport,
} from './apply-types.js';
import { assessChangeRisk } from './change-risk.js';
import { verifyRegionEndpoint, type RegionVerifier } from './region-verify.js';

/** The cluster side (issue 9): hands the region's cluster to Flux with its cluster-vars. */
export type ClusterStep = (input: {
  region: string;
  config: GitopsConfig;
  gitopsDir: string;
  mode: 'eks' | 'kubeconfig';
  clusterName: string;
  clusterVars: Record<string, string>;
  stackOutputs: Record<string, Record<string, string>>;
  aws: AwsClientFactory;
  logger: Logger;
  timeoutMs: number;
}) => Promise<ClusterReport>;

export interface ApplyOptions {
  config: GitopsConfig;
  gitopsDir: string;
  /** Region names to apply (already expanded from `all`/`changed` by the caller). */
  regions: string[];
  /** The commit being deployed. */
  headSha: string;
  /** The pull request merged into headSha (findMergedPullRequest), whose head the plan ran at. */
  reviewed?: { prNumber: number; headSha: string };
  dryRun: boolean;
  dns: DnsMode;
  cluster: 'eks' | 'kubeconfig' | 'skip';
  allowDestructive: boolean;
  timeoutMinutes: number;
  /** Apply the account-level stacks only (`apply --account`; a person with administrator credentials). */
  account?: boolean;
  verify: { caFile?: string; resolve?: ResolveOverride[]; nameserver?: { host: string; port: number } };
  aws: AwsClientFactory;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Between polls of a stack being changed (default 5 s). */
  pollIntervalMs?: number;
  /** Longest wait for another operation holding a stack (default 10 min, capped by the timeout). */
  busyStackWaitMs?: number;
  now?: () => number;
  /** The region-only verification before promotion (default: the verify engine's HTTPS/TLS checks). */
  verifier?: RegionVerifier;
  /** The cluster step; absent = reported as not run. */
  clusterStep?: ClusterStep;
}

/**
 * Risk a fresh change set may carry when the plan left no change set for the stack (its parameters were
 * known only after an earlier stack's apply, as on a first rollout): new IAM roles and in-place changes
 * pass, replacing or deleting anything stateful never does without a reviewed plan.
 */
const UNREVIEWED_LIMIT: Risk = 'medium';
const HEALTH_CHECK_OUTPUT = 'HealthCheckId';

interface RunState {
  opts: ApplyOptions;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  deadline: number;
  /** `<region file>/<stack>` → outputs (null: the stack does not exist). */
  outputs: Map<string, Record<string, string> | null>;
  regionsByName: Map<string, RegionConfig>;
}

function changeLine(c: ResourceChange): string {
  const repl =
    c.replacement === 'True' ? ', replacement' : c.replacement === 'Conditional' ? ', may replace' : '';
  return `${c.action} ${c.logicalId} (${c.type}${repl})`;
}

function remaining(run: RunState): number {
  return Math.max(0, run.deadline - run.now());
}

async function fetchOutputs(run: RunState, region: string, stack: string): Promise<void> {
  const key = `${region}/${stack}`;
  if (run.outputs.has(key)) return;
  const regionConfig = run.regionsByName.get(region);
  const spec = regionConfig?.stacks.find((s) => s.name === stack);
  if (!regionConfig || !spec) return;
  const deployRegion = deployRegionOf(spec, regionConfig, run.opts.config);
  const name = stackNameOf(run.opts.config.platform.project, region, stack);
  const state = await describeStackState(run.opts.aws.cloudFormation(deployRegion), name);
  run.outputs.set(key, state.exists && !state.needsCreate ? state.outputs : null);
}

async function prefetchSources(
  run: RunState,
  region: RegionConfig,
  sources: Iterable<StackSpec['parameters'][string]>,
) {
  const wanted = new Map<string, [string, string]>();
  for (const s of sources) {
    if (s.kind !== 'output') continue;
    const r = outputRegionOf(s, region, run.opts.config);
    wanted.set(`${r}/${s.stack}`, [r, s.stack]);
  }
  await Promise.all([...wanted.values()].map(([r, st]) => fetchOutputs(run, r, st)));
}

function lookup(run: RunState) {
  return (region: string, stack: string) => run.outputs.get(`${region}/${stack}`) ?? undefined;
}

async function templateMatches(
  cfn: CloudFormationClient,
  stackName: string,
  body: string,
  sleep: RunState['sleep'],
) {
  const out = await withRetry(
    () => cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' })),
    { label: `GetTemplate ${stackName}`, sleep },
  );
  return out.TemplateBody === body;
}

/** Apply one stack: find the reviewed change set or make a fresh one, check its risk, execute, record. */
async function applyStack(
  run: RunState,
  region: RegionConfig,
  spec: StackSpec,
  log: Logger,
): Promise<AppliedStack> {
  const { opts } = run;
  const started = run.now();
  const deployRegion = deployRegionOf(spec, region, opts.config);
  const name = stackNameOf(opts.config.platform.project, region.name, spec.name);
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
    Object.assign(record, patch, { durationMs: run.now() - started });
    const line = `${name}: ${record.result}${record.changeSet ? ` (${record.changeSet})` : ''}${record.message ? ` – ${record.message}` : ''}`;
    if (record.result === 'failed' || record.result === 'refused') log.error(line);
    else log.info(line);
    return record;
  };
  const cfn = opts.aws.cloudFormation(deployRegion);
  const waitOpts = { sleep: run.sleep, pollIntervalMs: opts.pollIntervalMs, now: run.now, logger: log };

  try {
    const template = opts.config.templates.get(spec.template);
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
      boundMs: Math.min(opts.busyStackWaitMs ?? 10 * 60_000, remaining(run)),
    });
    if (state.status === 'UPDATE_ROLLBACK_FAILED') {
      return done({ message: updateRollbackFailedMessage(name, state.statusReason) });
    }
    if (state.status === 'ROLLBACK_COMPLETE') {
      if (opts.dryRun) {
        return done({
          result: 'dry-run',
          message:
            'ROLLBACK_COMPLETE from a failed create: a real run deletes it (when empty) and creates it again',
        });
      }
      await recoverRolledBackCreate(cfn, name, { ...waitOpts, timeoutMs: remaining(run) });
      state = await describeStackState(cfn, name);
    } else if (state.unrecoverable) {
      return done({
        message: `${name} is ${state.status}${state.statusReason ? ` (${state.statusReason})` : ''}: CloudFormation can only delete it; inspect and delete it by hand, then re-run`,
      });
    }

    await prefetchSources(run, region, Object.values(spec.parameters));
    const resolved = resolveStackParameters(spec, { config: opts.config, outputs: lookup(run), region });
    const missing = Object.entries(resolved).filter(
      (e): e is [string, Extract<Resolved, { known: false }>] => !e[1].known,
    );
    if (missing.length > 0) {
      const what = missing.map(([k, r]) => `${k}: ${r.reason}`).join('; ');
      if (opts.dryRun)
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
      (await templateMatches(cfn, name, template, run.sleep))
    ) {
      run.outputs.set(`${region.name}/${spec.name}`, state.outputs);
      return done({ result: 'no-changes' });
    }

    // The change set the plan made for the reviewed head (or for this commit, when plan-region re-ran on it).
    const heads = [...new Set([opts.reviewed?.headSha, opts.headSha].filter((h): h is string => !!h))];
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
        return await execute(run, {
          cfn,
          name,
          csName,
          created: !deployed,
          reviewedRisk: desc.risk,
          risk: desc.risk,
          changes,
          record,
          log,
          done,
          reviewed: true,
        });
      }
      reviewedRisk ??= desc.risk;
      staleNote = `the reviewed change set ${csName} is ${cs.ExecutionStatus ?? cs.Status} and cannot be executed`;
    }

    // No executable reviewed change set: make one from this commit, show it, and weigh it.
    const freshName = changeSetName(opts.headSha, name).replace(/^cg-/, 'ca-');
    if (staleNote) log.info(`${staleNote}: creating ${freshName}`);
    const outcome = await createChangeSet({
      cfn,
      stackName: name,
      templateBody: template,
      parameters: params,
      name: freshName,
      // Not the plan's Description format: an apply-made change set must never pass for a reviewed one.
      description: `coder-gitops apply hash=${hash} head=${opts.headSha}`,
      exists: deployed,
      roleArn: opts.account ? undefined : cloudFormationRoleArn(opts.config.platform),
      reuse: 'same-description',
      logger: log,
      sleep: run.sleep,
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
          `request with this change (the plan workflow), or re-run plan-region on ${opts.headSha.slice(0, 12)} and then this apply.`,
      });
    }
    if (opts.dryRun) {
      return done({
        result: 'dry-run',
        changeSet: freshName,
        risk: assessed.risk,
        changes: changes.map(changeLine),
      });
    }
    return await execute(run, {
      cfn,
      name,
      csName: freshName,
      created: !deployed,
      reviewedRisk: limit,
      risk: assessed.risk,
      changes,
      record,
      log,
      done,
      reviewed: false,
    });
  } catch (err) {
    return done({ message: failureMessage(err) });
  }
}

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT|EAI_AGAIN|TimeoutError|network error/i;

/** The error, without the SDK's wrapper wording, and what to do when AWS could not be reached at all. */
function failureMessage(err: unknown): string {
  const text = errorMessage(err).replace(/AWS SDK error wrapper for \w+: /g, '');
  return UNREACHABLE.test(text)
    ? `${text} (AWS could not be reached; the stack may be mid-operation: re-run apply to continue where this stopped)`
    : text;
}

async function execute(
  run: RunState,
  a: {
    cfn: CloudFormationClient;
    name: string;
    csName: string;
    created: boolean;
    reviewedRisk: Risk;
    risk: Risk;
    changes: ResourceChange[];
    record: AppliedStack;
    log: Logger;
    done: (patch: Partial<AppliedStack>) => AppliedStack;
    reviewed: boolean;
  },
): Promise<AppliedStack> {
  const { opts } = run;
  const base = {
    changeSet: a.csName,
    risk: a.risk,
    reviewed: a.reviewed,
    changes: a.changes.map(changeLine),
  };
  if (opts.dryRun) return a.done({ ...base, result: 'dry-run' });
  const override = allowsDestructive(a.reviewedRisk, opts.allowDestructive);
  if (!a.created) {
    if (override)
      a.log.warn(
        `${a.name}: stack policy override for this change (reviewed as high risk, allow-destructive)`,
      );
    await setStackPolicy(a.cfn, a.name, override, run.sleep);
  }
  const result = await executeChangeSet({
    cfn: a.cfn,
    stackName: a.name,
    changeSetName: a.csName,
    logger: a.log,
    timeoutMs: remaining(run),
    sleep: run.sleep,
    pollIntervalMs: opts.pollIntervalMs,
    now: run.now,
  });
  if (!result.ok) return a.done({ ...base, result: 'failed', message: result.message });
  // Back to the protective policy (and the first one, for a new stack).
  if (override || a.created) await setStackPolicy(a.cfn, a.name, false, run.sleep);
  const state = await describeStackState(a.cfn, a.name);
  run.outputs.set(`${a.record.region}/${a.record.stack}`, state.outputs);
  return a.done({ ...base, result: a.created ? 'created' : 'updated' });
}

async function clusterOutputs(run: RunState, region: RegionConfig): Promise<RegionOutputs> {
  await prefetchSources(run, region, Object.values(region.clusterVars));
  for (const s of region.stacks) await fetchOutputs(run, region.name, s.name);
  const stacks: Record<string, Record<string, string>> = {};
  for (const s of region.stacks) {
    const o = run.outputs.get(`${region.name}/${s.name}`);
    if (o) stacks[s.name] = o;
  }
  const clusterVars: Record<string, string> = {};
  const unresolved: Record<string, string> = {};
  if (Object.keys(region.clusterVars).length > 0) {
    for (const [k, r] of Object.entries(
      resolveClusterVars(region, { config: run.opts.config, outputs: lookup(run) }),
    )) {
      if (r.known) clusterVars[k] = r.value;
      else unresolved[k] = r.reason;
    }
  }
  return { stacks, clusterVars, unresolvedClusterVars: unresolved };
}

async function regionDns(
  run: RunState,
  region: RegionConfig,
  outputs: RegionOutputs,
  log: Logger,
): Promise<{ dns: RegionDnsReport; verify?: RegionVerifyReport }> {
  const { opts } = run;
  const { platform } = opts.config;
  const clusterName = `${platform.project}-${region.name}`;
  const mode: DnsMode = region.enabled ? opts.dns : opts.dns === 'hold' ? 'hold' : 'remove';
  const nlb = await findServiceLoadBalancer(opts.aws.elbv2(region.name), {
    clusterName,
    serviceNamespace: platform.loadBalancer.serviceNamespace,
    serviceName: platform.loadBalancer.serviceName,
    sleep: run.sleep,
  });
  if (!nlb) {
    const reason =
      `no load balancer tagged service.k8s.aws/stack=${platform.loadBalancer.serviceNamespace}/${platform.loadBalancer.serviceName} ` +
      `and elbv2.k8s.aws/cluster=${clusterName} in ${region.name} yet (the load balancer controller makes it once Coder runs): DNS left as it is`;
    log.info(reason);
    return { dns: { mode, status: 'skipped', changes: [], reason } };
  }
  const healthCheckId =
    outputs.stacks.dns?.[HEALTH_CHECK_OUTPUT] ??
    Object.values(outputs.stacks).find((o) => o[HEALTH_CHECK_OUTPUT])?.[HEALTH_CHECK_OUTPUT];
  const common = {
    route53: opts.aws.route53(),
    hostedZoneId: platform.hostedZoneId,
    domain: platform.domain,
    region: region.name,
    target: { dnsName: nlb.dnsName, hostedZoneId: nlb.canonicalHostedZoneId },
    healthCheckId,
    logger: log,
    sleep: run.sleep,
  };
  const lb = `${nlb.name} (${nlb.dnsName})`;
  // What would change, without changing it: promotion only needs verifying when it changes routing.
  const preview = await applyRegionAliases({ ...common, mode, dryRun: true, logger: silent(log) });
  if (opts.dryRun) {
    return {
      dns: {
        mode,
        status: 'dry-run',
        changes: preview.changes,
        inLatencyRouting: preview.inLatencyRouting,
        loadBalancer: lb,
      },
    };
  }
  let verify: RegionVerifyReport | undefined;
  let effective = mode;
  const entersRouting =
    mode === 'promote' && preview.changes.some((c) => / \(latency /.test(c) && c.startsWith('UPSERT'));
  if (entersRouting) {
    const verifier = opts.verifier ?? verifyRegionEndpoint;
    log.info(
      `verifying ${region.name}.${platform.domain} at ${nlb.dnsName} before it enters latency routing`,
    );
    const v = await verifier({
      config: opts.config,
      region: region.name,
      nlbDnsName: nlb.dnsName,
      resolve: opts.verify.resolve,
      caFile: opts.verify.caFile,
      nameserver: opts.verify.nameserver,
      logger: log,
      sleep: run.sleep,
    });
    verify = { status: v.status, summary: v.summary };
    if (v.status !== 'pass') effective = 'hold';
  }
  const result = await applyRegionAliases({ ...common, mode: effective });
  const dns: RegionDnsReport = {
    mode,
    status: result.changes.length > 0 ? 'changed' : 'unchanged',
    changes: result.changes,
    inLatencyRouting: result.inLatencyRouting,
    loadBalancer: lb,
    recorded: recordedAliases(platform.domain, region.name, common.target, healthCheckId, effective),
  };
  if (verify && verify.status !== 'pass') {
    dns.status = 'failed';
    dns.reason = `not promoted: region-only verification ${verify.status}: ${verify.summary}`;
  }
  return { dns, verify };
}

/** What apply-region leaves in Route 53 for a region after a DNS call in `mode` (for the drift job). */
function recordedAliases(
  domain: string,
  region: string,
  target: { dnsName: string; hostedZoneId: string },
  healthCheckId: string | undefined,
  mode: DnsMode,
): RecordedAliases {
  const desired = desiredRecords(domain, region, target, healthCheckId);
  return {
    at: new Date().toISOString(),
    own: desired.own,
    ...(mode === 'promote' ? { latency: desired.latency } : mode === 'remove' ? { latency: [] } : {}),
  };
}

/** Keeps warnings and errors, drops the preview's "would …" lines (the real call logs them). */
function silent(log: Logger): Logger {
  return {
    info: () => undefined,
    debug: () => undefined,
    warn: (m, w) => log.warn(m, w),
    error: (m, w) => log.error(m, w),
    group: (_name, fn) => fn(),
    setSecret: (v) => log.setSecret(v),
    child: () => silent(log),
  };
}

async function applyRegion(run: RunState, region: RegionConfig, log: Logger): Promise<RegionApplyReport> {
  const { opts } = run;
  const started = run.now();
  const report: RegionApplyReport = {
    region: region.name,
    status: 'no-changes',
    stacks: [],
    cluster: { status: 'skipped', reason: '' },
    durationMs: 0,
  };
  const finish = () => {
    report.durationMs = run.now() - started;
    return report;
  };
  if (!region.enabled && !opts.account) {
    // Switched off: nothing is created for it (and nothing deleted: draining is how a region goes down).
    log.info(
      `${region.name} is not enabled in its region file: its stacks are not applied, and it leaves latency routing where it still is`,
    );
    report.status = 'skipped';
    report.cluster = { status: 'skipped', reason: 'region not enabled' };
    const { dns } = await regionDns(run, region, await clusterOutputs(run, region), log);
    report.dns = dns;
    return finish();
  }
  const stacks = orderStacks(region);
  let failed = false;
  for (const spec of stacks) {
    if (failed) {
      report.stacks.push({
        region: region.name,
        deployRegion: deployRegionOf(spec, region, opts.config),
        stack: spec.name,
        stackName: stackNameOf(opts.config.platform.project, region.name, spec.name),
        reviewed: false,
        result: 'not-reached',
        changes: [],
        durationMs: 0,
      });
      continue;
    }
    if (remaining(run) <= 0) {
      report.error = `timed out after ${opts.timeoutMinutes} min before ${spec.name}`;
      failed = true;
      continue;
    }
    const r = await log.group(`${region.name}: ${spec.name}`, () => applyStack(run, region, spec, log));
    report.stacks.push(r);
    if (r.result === 'failed' || r.result === 'refused') {
      failed = true;
      report.error = `${r.stackName}: ${r.message ?? r.result}`;
    }
  }
  if (opts.account) {
    report.cluster = { status: 'skipped', reason: 'account stacks only' };
  } else if (!failed) {
    const outputs = await clusterOutputs(run, region);
    const clusterName = `${opts.config.platform.project}-${region.name}`;
    if (opts.cluster === 'skip') {
      report.cluster = { status: 'skipped', reason: 'cluster: skip' };
    } else if (!opts.clusterStep) {
      report.cluster = {
        status: 'skipped',
        reason: 'the cluster step is not wired into apply yet (issue 9)',
      };
    } else {
      report.cluster = await opts.clusterStep({
        region: region.name,
        config: opts.config,
        gitopsDir: opts.gitopsDir,
        mode: opts.cluster,
        clusterName,
        clusterVars: outputs.clusterVars,
        stackOutputs: outputs.stacks,
        aws: opts.aws,
        logger: log,
        timeoutMs: remaining(run),
      });
      if (report.cluster.status === 'failed') {
        failed = true;
        report.error = `cluster: ${report.cluster.reason ?? 'failed'}`;
      }
    }
    if (!failed) {
      const { dns, verify } = await log.group(`${region.name}: DNS (${opts.dns})`, () =>
        regionDns(run, region, outputs, log),
      );
      report.dns = dns;
      report.verify = verify;
      if (dns.status === 'failed') {
        failed = true;
        report.error = dns.reason;
      }
    }
  }
  if (failed) report.status = 'failed';
  else if (opts.dryRun) report.status = 'dry-run';
  else if (
    report.stacks.some((s) => s.result === 'created' || s.result === 'updated') ||
    report.dns?.status === 'changed'
  )
    report.status = 'applied';
  else report.status = 'no-changes';
  return finish();
}

/**
 * Apply the selected regions in waves (hub first; regions of a wave in parallel; stacks in dependency
 * order): execute the reviewed change sets, refuse riskier unreviewed ones, then the cluster step and
 * DNS (promotion only after the region's own endpoint verifies). Never throws for AWS failures: the
 * report says what was done and what failed.
 */
export async function runApply(opts: ApplyOptions): Promise<ApplyReport> {
  const now = opts.now ?? Date.now;
  const started = now();
  const { config } = opts;
  const known = new Set(config.regions.map((r) => r.name));
  const unknown = opts.regions.filter((r) => !known.has(r));
  if (unknown.length > 0) {
    throw new InputError(
      'region',
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not declared under regions/ (known: ${[...known].join(', ')})`,
    );
  }
  const regionsByName = new Map(config.regions.map((r) => [r.name, r]));
  const account = accountRegion(config);
  if (opts.account) regionsByName.set(account.name, account);
  const run: RunState = {
    opts,
    sleep: opts.sleep ?? realSleep,
    now,
    deadline: started + opts.timeoutMinutes * 60_000,
    outputs: new Map(),
    regionsByName,
  };
  const report: ApplyReport = {
    status: 'no-changes',
    headSha: opts.headSha,
    reviewed: opts.reviewed,
    dryRun: opts.dryRun,
    dns: opts.dns,
    account: !!opts.account,
    regions: [],
    applied: [],
    stackOutputs: {},
    errors: [],
    apiCalls: {},
    durationMs: 0,
  };

  const waves: RegionConfig[][] = opts.account
    ? [[account]]
    : orderRegions(config)
        .map((wave) => wave.filter((r) => opts.regions.includes(r.name)))
        .filter((wave) => wave.length > 0);
  if (opts.reviewed) {
    opts.logger.info(
      `reviewed: pull request #${opts.reviewed.prNumber} at ${opts.reviewed.headSha.slice(0, 12)}`,
    );
  } else {
    opts.logger.info(
      'no merged pull request for this commit: every change set is created now and weighed against the limit for unreviewed changes',
    );
  }

  let stopped = false;
  for (const wave of waves) {
    if (stopped) {
      for (const r of wave) {
        report.regions.push({
          region: r.name,
          status: 'skipped',
          stacks: [],
          cluster: { status: 'skipped', reason: 'an earlier wave failed' },
          error: 'not started: an earlier wave failed',
          durationMs: 0,
        });
      }
      continue;
    }
    const results = await Promise.all(
      wave.map(async (region) => {
        const log = wave.length > 1 ? opts.logger.child(region.name) : opts.logger;
        try {
          return await applyRegion(run, region, log);
        } catch (err) {
          return {
            region: region.name,
            status: 'failed',
            stacks: [],
            cluster: { status: 'skipped', reason: 'region failed' },
            error: errorMessage(err),
            durationMs: 0,
          } satisfies RegionApplyReport;
        }
      }),
    );
    for (const r of results) {
      report.regions.push(r);
      report.applied.push(...r.stacks.filter((s) => s.result !== 'not-reached'));
      if (r.status === 'failed') {
        stopped = true;
        report.errors.push(`${r.region}: ${r.error ?? 'failed'}`);
      }
    }
  }

  for (const r of report.regions) {
    const region = regionsByName.get(r.region);
    if (!region || r.status === 'skipped') continue;
    try {
      report.stackOutputs[r.region] = await clusterOutputs(run, region);
    } catch (err) {
      report.errors.push(`${r.region}: could not read stack outputs: ${failureMessage(err)}`);
    }
  }

  if (report.regions.some((r) => r.status === 'failed')) report.status = 'failed';
  else if (opts.dryRun) report.status = 'dry-run';
  else if (report.regions.some((r) => r.status === 'applied')) report.status = 'applied';
  else report.status = 'no-changes';
  report.apiCalls = Object.fromEntries(opts.aws.calls);
  report.durationMs = now() - started;
  return report;
}
