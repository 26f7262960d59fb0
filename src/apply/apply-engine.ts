import type { AwsClientFactory } from '../aws/client-factory.js';
import { StackStateCache } from '../aws/cloudformation/stack-outputs.js';
import type { DnsMode } from '../aws/route53/alias-records.js';
import type { ClusterReport } from '../cluster/ensure-cluster.js';
import { accountRegion } from '../gitops/resolve-source.js';
import { orderRegions, stackGraph } from '../gitops/stack-order.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { errorMessage, InputError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { realSleep } from '../util/retry.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';
import { applyStack, failureMessage, notReachedStack } from './apply-stack.js';
import type { CoderAccess, CoderPhase, CoderStep } from './coder-region-step.js';
import { CoderUpgrade } from './coder-upgrade.js';
import type { AppliedStack, ApplyReport, RegionApplyReport, RegionOutputs } from './apply-types.js';
import { applyRegionDns } from './region-dns.js';
import { readRegionOutputs } from './region-outputs.js';
import type { RegionVerifier } from './region-verify.js';
import { scheduleTasks } from './stack-scheduler.js';

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
  reviewed?: { prNumber?: number; headSha: string };
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
  /** The Coder API side (workspace proxies, licence, provisioner keys); absent = not run. */
  coderStep?: CoderStep;
  /**
   * How the primary is reached for Coder version changes (coder-upgrade.ts): with it, coder_version is
   * written primary first and proxies only once the primary reports it; absent = written as declared.
   */
  coderUpgrade?: CoderAccess & { primaryWaitMs?: number; pollMs?: number };
}

interface RunState {
  opts: ApplyOptions;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  deadline: number;
  /** Stack outputs, read once per stack and recorded again after apply changed a stack. */
  outputs: StackStateCache;
  /** The Coder version order, when the cluster step runs and coderUpgrade is given. */
  coderUpgrade?: CoderUpgrade;
}

function remaining(run: RunState): number {
  return Math.max(0, run.deadline - run.now());
}

function regionDns(run: RunState, region: RegionConfig, outputs: RegionOutputs, log: Logger) {
  const { opts } = run;
  return applyRegionDns({
    config: opts.config,
    region,
    outputs,
    dns: opts.dns,
    dryRun: opts.dryRun,
    verify: opts.verify,
    verifier: opts.verifier,
    aws: opts.aws,
    logger: log,
    sleep: run.sleep,
  });
}

function clusterOutputs(run: RunState, region: RegionConfig) {
  return readRegionOutputs(run.outputs, run.opts.config, region);
}

/**
 * The region's stacks along their dependency graph (stackGraph: dependsOn and output sources, the
 * spoke's hub-side stacks included): independent stacks at once, each after its dependencies; after a
 * failure running stacks finish and nothing new starts. Each stack logs with its own prefix so
 * concurrent events stay readable. The report keeps the graph's order, not the finishing order.
 */
async function applyRegionStacks(
  run: RunState,
  region: RegionConfig,
  log: Logger,
  report: RegionApplyReport,
): Promise<{ failed: boolean; error?: string }> {
  const { opts } = run;
  const graph = stackGraph(region);
  const specs = new Map(graph.ordered.map((s) => [s.name, s]));
  const outcomes = await scheduleTasks<AppliedStack>({
    tasks: graph.ordered.map((s) => ({ name: s.name, dependsOn: graph.dependencies.get(s.name) ?? [] })),
    mayStart: () => (remaining(run) <= 0 ? `timed out after ${opts.timeoutMinutes} min` : undefined),
    isFailure: (r) => r.result === 'failed' || r.result === 'refused',
    run: (name) => {
      const stackLog = graph.ordered.length > 1 ? log.child(name) : log;
      return stackLog.group(`${region.name}: ${name}`, () =>
        applyStack({
          config: opts.config,
          region,
          spec: specs.get(name)!,
          headSha: opts.headSha,
          reviewedHeadSha: opts.reviewed?.headSha,
          dryRun: opts.dryRun,
          allowDestructive: opts.allowDestructive,
          account: !!opts.account,
          aws: opts.aws,
          outputs: run.outputs,
          logger: stackLog,
          sleep: run.sleep,
          now: run.now,
          deadline: run.deadline,
          pollIntervalMs: opts.pollIntervalMs,
          busyStackWaitMs: opts.busyStackWaitMs,
        }),
      );
    },
  });
  let error: string | undefined;
  for (const o of outcomes) {
    if (o.state === 'not-reached') {
      report.stacks.push({ ...notReachedStack(opts.config, region, specs.get(o.name)!), message: o.reason });
      if (!o.blockedBy) error ??= `${o.reason.replace(/^not started: /, '')} before ${o.name}`;
      continue;
    }
    report.stacks.push(o.result);
    if (o.state === 'failed') error ??= `${o.result.stackName}: ${o.result.message ?? o.result.result}`;
  }
  return { failed: error !== undefined, error };
}

/** Whether the Coder step changed anything (a proxy, token, licence or key made). */
function coderChanged(report: RegionApplyReport): boolean {
  const c = report.coder;
  return (
    c?.proxy?.result === 'created' ||
    c?.proxy?.result === 'regenerated' ||
    c?.license?.result === 'installed' ||
    c?.provisionerKey?.result === 'created' ||
    c?.provisionerKey?.result === 'recreated'
  );
}

function runClusterStep(
  run: RunState,
  region: RegionConfig,
  clusterVars: Record<string, string>,
  stackOutputs: Record<string, Record<string, string>>,
  log: Logger,
): Promise<ClusterReport> {
  const { opts } = run;
  return opts.clusterStep!({
    region: region.name,
    config: opts.config,
    gitopsDir: opts.gitopsDir,
    mode: opts.cluster as 'eks' | 'kubeconfig',
    clusterName: `${opts.config.platform.project}-${region.name}`,
    clusterVars,
    stackOutputs,
    aws: opts.aws,
    logger: log,
    timeoutMs: remaining(run),
  });
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
  const { failed: stacksFailed, error } = await applyRegionStacks(run, region, log, report);
  let failed = stacksFailed;
  if (error) report.error = error;
  if (opts.account) {
    report.cluster = { status: 'skipped', reason: 'account stacks only' };
  } else if (!failed) {
    const outputs = await clusterOutputs(run, region);
    // A proxy's token must exist before its cluster starts the proxy; the primary's work needs it Ready.
    const coder = async (phase: CoderPhase): Promise<void> => {
      if (!opts.coderStep || failed) return;
      if (opts.dryRun) {
        report.coder ??= { status: 'skipped', reason: 'dry run: the Coder API is not called' };
        return;
      }
      const r = await log.group(`${region.name}: Coder (${region.coder})`, () =>
        opts.coderStep!({ config: opts.config, region, phase, aws: opts.aws, logger: log }),
      );
      if (!r) return;
      report.coder = r;
      if (r.status === 'failed') {
        failed = true;
        report.error = `coder: ${r.reason ?? 'failed'}`;
      }
    };
    // Before promotion: a separate report field, so the steps' report stays readable.
    const coderGate = async (): Promise<void> => {
      if (!opts.coderStep || opts.dryRun) return;
      const r = await log.group(`${region.name}: Coder promotion gate`, () =>
        opts.coderStep!({ config: opts.config, region, phase: 'before-dns', aws: opts.aws, logger: log }),
      );
      if (!r) return;
      report.coder = { ...(report.coder ?? { status: 'ok' }), gate: r.gate };
      if (r.status === 'failed') {
        failed = true;
        report.coder.status = 'failed';
        report.coder.reason = r.reason;
        report.error = `coder: ${r.reason ?? 'failed'}`;
      }
    };
    await coder('before-cluster');
    if (failed) {
      report.cluster = { status: 'skipped', reason: 'the Coder step failed' };
    } else if (opts.cluster === 'skip') {
      report.cluster = { status: 'skipped', reason: 'cluster: skip' };
    } else if (!opts.clusterStep) {
      report.cluster = {
        status: 'skipped',
        reason: 'the cluster step is not wired into apply yet (issue 9)',
      };
    } else {
      // The Coder version is decided here, at deploy time, in the rule's order (never by main on Flux's timer).
      const version = run.coderUpgrade
        ? await log.group(`${region.name}: Coder version`, () =>
            run.coderUpgrade!.beforeCluster(region, outputs.clusterVars),
          )
        : { vars: outputs.clusterVars };
      if (version.report) report.coderVersion = version.report;
      if (version.error) {
        failed = true;
        report.cluster = { status: 'skipped', reason: `not run: ${version.error}` };
        report.error = `coder version: ${version.error}`;
      } else {
        const cluster = await runClusterStep(run, region, version.vars, outputs.stacks, log);
        report.cluster = cluster;
        if (cluster.status === 'failed') {
          failed = true;
          report.error = `cluster: ${report.cluster.reason ?? 'failed'}`;
        }
        if (run.coderUpgrade) {
          const after = await run.coderUpgrade.afterCluster(region, cluster, report.coderVersion);
          if (after.error) {
            failed = true;
            report.error = `coder upgrade: ${after.error}`;
          }
        }
      }
    }
    await coder('after-cluster');
    if (!failed && opts.dns === 'promote') await coderGate();
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
    report.dns?.status === 'changed' ||
    coderChanged(report)
  )
    report.status = 'applied';
  else report.status = 'no-changes';
  return finish();
}

/**
 * Apply the selected regions in waves (hub first; regions of a wave in parallel; a region's stacks
 * concurrently along their dependencies): execute the reviewed change sets, refuse riskier unreviewed
 * ones, then the cluster step and DNS (promotion only after the region's own endpoint verifies). Never throws for AWS failures: the
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
    outputs: new StackStateCache(opts.aws, opts.account ? [account] : []),
  };
  if (opts.coderUpgrade && opts.clusterStep && opts.cluster !== 'skip' && !opts.dryRun && !opts.account) {
    const access = opts.coderUpgrade;
    run.coderUpgrade = new CoderUpgrade({
      config,
      access,
      aws: opts.aws,
      logger: opts.logger,
      sleep: run.sleep,
      now,
      primaryWaitMs: access.primaryWaitMs,
      pollMs: access.pollMs,
      varsOf: async (region) => (await clusterOutputs(run, region)).clusterVars,
      clusterFor: async (region, vars) =>
        opts.logger.group(`${region.name}: cluster (Coder scaled to zero)`, async () =>
          runClusterStep(
            run,
            region,
            vars,
            (await clusterOutputs(run, region)).stacks,
            opts.logger.child(region.name),
          ),
        ),
    });
  }
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
      `reviewed: ${opts.reviewed.prNumber !== undefined ? `pull request #${opts.reviewed.prNumber}` : 'the plan'} at ${opts.reviewed.headSha.slice(0, 12)}`,
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
