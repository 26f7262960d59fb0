import path from 'node:path';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { renderRegion } from '../gitops/render-flux.js';
import { loadGitops } from '../gitops/load-gitops.js';
import { accountRegion, resolveClusterVars, type Resolved } from '../gitops/resolve-source.js';
import { orderStacks } from '../gitops/stack-order.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { loadValidatedGitops } from '../gitops/validate-gitops.js';
import { ConfigurationError, ConfigurationErrors, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { regionsTouched } from '../gitops/changed-regions.js';
import { diffClusterVars, type ClusterVarAfter } from './cluster-vars-diff.js';
import { readCurrentDns } from './current-dns.js';
import { diffDns, type CurrentDns } from './dns-diff.js';
import { diffRendered } from './flux-diff.js';
import type { RenderedObject } from '../gitops/render-flux.js';
import { SourceVersionChecker } from './source-versions.js';
import { formatCostFloor, regionCostFloor } from '../review/cost-floor.js';
import { locateHelm, type HelmLocation } from '../helm/locate-helm.js';
import { ChartRendering } from './rendered-diff.js';
import { assessCharts, assessHelmMissing } from '../review/chart-rules.js';
import { planStack, type PlanError } from './plan-stack.js';
import type { PlanReport, RegionPlan, RiskFinding, StackPlan } from './plan-types.js';
import { planFetcher, reviewSources, trustedAllowList } from './source-review.js';
import { isAllowedSource } from '../fetch/allowed-fetch.js';
import { whatIfRouting } from './what-if-routing.js';
import { regionPlanChanged, stackPlanChanged } from '../review/changed.js';
import { assessDns, assessFlux, overallRisk } from '../review/risk-rules.js';
import {
  assessCoderVersion,
  assessFluxDomain,
  assessRegionToggles,
  assessSourceVersions,
} from '../review/domain-rules.js';
import { StackStateCache } from '../aws/cloudformation/stack-outputs.js';
import { estimateRegionRollout } from './rollout-estimate.js';
import { RISK_LEVELS } from '../aws/cloudformation/change-set-identity.js';

export interface PlanOptions {
  /** The gitops folder of the head checkout. */
  gitopsDir: string;
  /** The gitops folder of the base revision (checkoutBase); undefined = no base (everything is new). */
  baseDir?: string;
  /** Region names, `all`, or `changed` (the regions `changedFiles` touch). */
  regions: string[] | 'all' | 'changed';
  /** Changed files relative to the repository root (for `changed`); undefined with `changed` plans all. */
  changedFiles?: string[];
  /** The gitops folder relative to the repository root, as in changedFiles (default: the folder's name). */
  gitopsPath?: string;
  /** Account-level stacks (github-oidc): `auto` (default) when touched or with `all`; `always`; `never`. */
  account?: 'auto' | 'always' | 'never';
  headSha: string;
  baseRef: string;
  /** Credentials to plan online (change sets, deployed outputs, Route 53); undefined = offline plan. */
  aws?: AwsClientFactory;
  /** Why offline (shown in the report), e.g. `pull request from a fork: no credentials`. */
  offlineReason?: string;
  logger: Logger;
  /** The hosted zone's id when it is not platform.yaml's (the sandbox's emulator makes its own ids). */
  hostedZoneId?: string;
  /** A CA bundle (PEM) the plan's fetches of chart indexes and registries trust besides Node's roots. */
  fetchCa?: string;
  /**
   * helm for rendering changed HelmReleases (src/helm/locate-helm.ts); default: located from `HELM` or
   * PATH. Not found: the plan renders no chart and says so in a warning.
   */
  helm?: HelmLocation;
  /** Render changed HelmReleases with helm (default true; needs a base to compare with). */
  renderCharts?: boolean;
  /** For tests: the fetch behind the allow-listed fetcher (a local CA's chart repository). */
  fetchImpl?: typeof fetch;
  /** For tests: the change-set poll sleep. */
  sleep?: (ms: number) => Promise<void>;
}

function toErrors(err: unknown): PlanError[] {
  if (err instanceof ConfigurationErrors) return err.errors.flatMap(toErrors);
  if (err instanceof ConfigurationError) {
    return [{ message: err.message, file: err.location?.file, line: err.location?.line }];
  }
  return [{ message: errorMessage(err) }];
}

function rank(f: RiskFinding): number {
  return RISK_LEVELS.indexOf(f.level);
}

function vars(resolved: Record<string, Resolved>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(resolved)) out[k] = v.known ? v.value : undefined;
  return out;
}

function after(resolved: Record<string, Resolved>): Record<string, ClusterVarAfter> {
  const out: Record<string, ClusterVarAfter> = {};
  for (const [k, v] of Object.entries(resolved))
    out[k] = v.known ? { known: true, value: v.value } : { known: false, reason: v.reason };
  return out;
}

interface Run {
  opts: PlanOptions;
  config: GitopsConfig;
  baseConfig?: GitopsConfig;
  states?: StackStateCache;
  currentDns?: CurrentDns;
  versions: SourceVersionChecker;
  charts?: ChartRendering;
  errors: PlanError[];
}

async function planRegionStacks(
  run: Run,
  region: RegionConfig,
  baseRegion: RegionConfig | undefined,
  log: Logger,
) {
  const stacks: StackPlan[] = [];
  let ordered;
  try {
    ordered = orderStacks(region);
  } catch (err) {
    run.errors.push(...toErrors(err));
    return stacks;
  }
  // Planning changes nothing and reads only deployed outputs, so a region's stacks are planned at once
  // (one change set wait instead of one per stack); the report keeps the apply order.
  const results = await Promise.all(
    ordered.map((spec) =>
      planStack({
        config: run.config,
        baseConfig: run.baseConfig,
        region,
        baseRegion,
        spec,
        headSha: run.opts.headSha,
        aws: run.opts.aws && run.states ? { factory: run.opts.aws, states: run.states } : undefined,
        logger: log,
        sleep: run.opts.sleep,
      }),
    ),
  );
  for (const { plan, errors } of results) {
    stacks.push(plan);
    run.errors.push(...errors);
  }
  return stacks;
}

async function planRegion(run: Run, region: RegionConfig, log: Logger): Promise<RegionPlan> {
  const { config, baseConfig, opts } = run;
  const baseRegion = baseConfig?.regions.find((r) => r.name === region.name);
  // apply-region applies no stack of a region switched off and writes none of its cluster variables
  // (it is only drained from latency routing): the plan shows what apply will do, no more.
  if (!region.enabled)
    log.info(`${region.name} is not enabled: its stacks and cluster variables are not applied`);
  const stacks = region.enabled ? await planRegionStacks(run, region, baseRegion, log) : [];

  // Cluster variables at head and base, from the outputs deployed now (undefined = known after apply).
  if (run.states) {
    await run.states.prefetch(config, region, Object.values(region.clusterVars));
    if (baseConfig && baseRegion)
      await run.states.prefetch(baseConfig, baseRegion, Object.values(baseRegion.clusterVars));
  }
  const outputs = run.states ? run.states.lookup() : () => undefined;
  const headResolved = resolveClusterVars(region, { config, outputs });
  const baseResolved =
    baseConfig && baseRegion ? resolveClusterVars(baseRegion, { config: baseConfig, outputs }) : {};
  // A variable unknown at base and head for the same reason (offline, or a stack not applied either way)
  // does not change.
  const baseReasons = Object.fromEntries(
    Object.entries(baseResolved).map(([k, v]) => [k, v.known ? undefined : v.reason]),
  );
  const clusterVars = region.enabled
    ? diffClusterVars(region.name, vars(baseResolved), after(headResolved), baseReasons)
    : [];

  let flux: RegionPlan['flux'] = [];
  let headObjects: RenderedObject[] = [];
  let rendered: { base: RenderedObject[]; head: RenderedObject[] } | undefined;
  try {
    const [baseObjects, head] = await Promise.all([
      opts.baseDir ? renderRegion(opts.baseDir, region.name, vars(baseResolved)) : [],
      renderRegion(config.dir, region.name, vars(headResolved)),
    ]);
    headObjects = head;
    flux = diffRendered(region.name, baseObjects, headObjects);
    if (opts.baseDir) rendered = { base: baseObjects, head: headObjects };
  } catch (err) {
    run.errors.push(
      ...toErrors(err).map((e) => ({ ...e, message: `Flux diff of ${region.name}: ${e.message}` })),
    );
    log.error(`Flux diff failed: ${errorMessage(err)}`);
  }

  // Chart and image versions this pull request asks for, looked up in their (allow-listed) sources.
  const sourceVersions = region.enabled ? await run.versions.checkRegion(region.name, flux, headObjects) : [];

  // Charts: what the HelmRelease changes render to, from their real sources (main's allow-list only).
  let charts: RegionPlan['charts'];
  if (run.charts && rendered && region.enabled) {
    charts = await run.charts.planRegion(region.name, rendered.base, rendered.head);
    for (const r of charts?.releases ?? []) if (r.reason) log.warn(`HelmRelease ${r.release}: ${r.reason}`);
  }

  const dns = diffDns({ config, baseConfig, region: region.name, current: run.currentDns });
  const toggles = assessRegionToggles(
    [{ name: region.name, enabled: region.enabled, stacks: region.stacks.length }],
    run.baseConfig ? (baseRegion ? [baseRegion] : []) : undefined,
    (side) => {
      const [cfg, reg] = side === 'head' ? [config, region] : [baseConfig, baseRegion];
      return cfg && reg ? formatCostFloor(regionCostFloor(cfg, reg)) : undefined;
    },
  );
  const findings = [
    ...toggles,
    ...stacks.flatMap((s) => s.findings),
    ...assessFluxDomain(flux, (url) => isAllowedSource(url, trustedAllowList(baseConfig))),
    ...assessSourceVersions(sourceVersions),
    ...assessFlux(flux),
    ...assessCharts(charts),
    ...assessDns(dns),
  ].sort((a, b) => rank(b) - rank(a));
  const hasChanges = regionPlanChanged({ stacks, flux, dns, clusterVars } as RegionPlan);
  log.info(
    `${stacks.filter(stackPlanChanged).length}/${stacks.length} stacks change, ${flux.length} Flux, ${dns.length} DNS, ${clusterVars.length} cluster-vars changes`,
  );
  const planned: RegionPlan = {
    region: region.name,
    enabled: region.enabled,
    stacks,
    flux,
    dns,
    clusterVars,
    ...(charts ? { charts } : {}),
    risk: overallRisk(findings, hasChanges),
    findings,
    ...(sourceVersions.length ? { sourceVersions } : {}),
  };
  planned.estimate = estimateRegionRollout(config, planned);
  return planned;
}

function selectRegions(opts: PlanOptions, config: GitopsConfig, errors: PlanError[], log: Logger) {
  const all = config.regions.map((r) => r.name);
  if (opts.regions === 'all') return { names: all, account: opts.account !== 'never' };
  if (opts.regions === 'changed') {
    if (!opts.changedFiles) {
      log.warn('no list of changed files: planning every region');
      return { names: all, account: opts.account !== 'never' };
    }
    const touched = regionsTouched(opts.changedFiles, config, opts.gitopsPath ?? path.basename(config.dir));
    for (const [k, files] of Object.entries(touched.reasons))
      log.debug(`${k} touched by ${files.join(', ')}`);
    return {
      names: touched.regions,
      account: opts.account === 'always' || (opts.account !== 'never' && touched.account),
    };
  }
  const names: string[] = [];
  for (const name of opts.regions) {
    if (all.includes(name)) names.push(name);
    else
      errors.push({
        message: `region '${name}' is not configured: expected one of ${all.join(', ')} (or all, changed)`,
      });
  }
  return { names, account: opts.account === 'always' };
}

/**
 * Plan a pull request: validate gitops/ at head, pick the regions, plan account stacks and regions
 * (concurrently; stacks in dependency order), Flux, Route 53 and cluster-vars diffs, and the risk rules.
 * Never throws for configuration or AWS problems: they are in `errors` (the caller fails the step).
 */
export async function runPlan(opts: PlanOptions): Promise<PlanReport> {
  const started = Date.now();
  const log = opts.logger;
  const report: PlanReport = {
    mode: opts.aws ? 'online' : 'offline',
    ...(opts.aws ? {} : { offlineReason: opts.offlineReason ?? 'no AWS credentials' }),
    headSha: opts.headSha,
    baseRef: opts.baseRef,
    account: [],
    regions: [],
    hasChanges: false,
    risk: 'none',
    findings: [],
    errors: [],
    apiCalls: {},
    durationMs: 0,
  };
  const done = (): PlanReport => {
    if (opts.aws) report.apiCalls = Object.fromEntries([...opts.aws.calls.entries()].sort());
    report.durationMs = Date.now() - started;
    return report;
  };
  if (!opts.aws) log.info(`offline plan: ${report.offlineReason}`);

  let config: GitopsConfig;
  try {
    config = await log.group('validate gitops', () => loadValidatedGitops(opts.gitopsDir));
    if (opts.hostedZoneId) config.platform.hostedZoneId = opts.hostedZoneId;
  } catch (err) {
    report.errors.push(...toErrors(err));
    for (const e of report.errors)
      log.error(e.message, { file: e.file, line: e.line, title: 'invalid configuration' });
    return done();
  }
  let baseConfig: GitopsConfig | undefined;
  if (opts.baseDir) {
    try {
      baseConfig = await loadGitops(opts.baseDir);
    } catch (err) {
      // The base is what is deployed (or was reviewed); a base we cannot read diffs as "everything new".
      log.warn(
        `base ${opts.baseRef} could not be loaded, diffing against nothing: ${errorMessage(err).split('\n')[0]}`,
      );
    }
  }

  // Everything the plan fetches on the pull request's say goes through main's allow-list.
  const fetcher = planFetcher(baseConfig, { ca: opts.fetchCa, fetchImpl: opts.fetchImpl });
  const run: Run = {
    opts,
    config,
    baseConfig,
    states: opts.aws ? new StackStateCache(opts.aws) : undefined,
    versions: new SourceVersionChecker(fetcher),
    errors: report.errors,
  };
  if (opts.baseDir && opts.renderCharts !== false) {
    const helm = opts.helm ?? (await locateHelm());
    log.info(
      helm.found ? `helm ${helm.version} (${helm.path}) renders changed charts` : `charts: ${helm.reason}`,
    );
    run.charts = new ChartRendering(helm, fetcher);
  }
  const selection = selectRegions(opts, config, report.errors, log);
  log.info(
    `planning ${selection.names.length ? selection.names.join(', ') : 'no region'}${selection.account ? ' and the account stacks' : ''}`,
  );

  if (opts.aws) {
    try {
      run.currentDns = await readCurrentDns(
        opts.aws.route53(),
        config.platform.hostedZoneId,
        config.platform.domain,
      );
      if (!run.currentDns)
        log.warn(
          `hosted zone ${config.platform.hostedZoneId} not found: DNS changes from configuration only`,
        );
    } catch (err) {
      log.warn(`${errorMessage(err)}: DNS changes from configuration only`);
    }
  }

  const accountPlan = async (): Promise<StackPlan[]> => {
    if (!selection.account) return [];
    const alog = log.child('account');
    const region = accountRegion(config);
    const baseRegion = baseConfig ? accountRegion(baseConfig) : undefined;
    return planRegionStacks(run, region, baseRegion, alog);
  };
  const [account, ...regions] = await Promise.all([
    accountPlan(),
    ...selection.names.map((name) => {
      const region = config.regions.find((r) => r.name === name)!;
      const rlog = log.child(name);
      return planRegion(run, region, rlog);
    }),
  ]).finally(() => run.charts?.close());
  report.account = account as StackPlan[];
  report.regions = regions as RegionPlan[];

  const accountFindings = report.account.flatMap((s) => s.findings);
  // Where things are fetched from is judged against main's allow-list (source-review), once per plan.
  const sourceFindings = reviewSources(config, baseConfig);
  // A Coder version change is one finding for the platform (the shared schema), with the order apply uses.
  const coder = assessCoderVersion(
    { version: config.platform.coder.version, regions: config.regions },
    baseConfig ? { version: baseConfig.platform.coder.version } : undefined,
  );
  if (coder.order) report.coderUpgrade = coder.order;
  report.findings = [
    ...sourceFindings,
    ...assessHelmMissing((regions as RegionPlan[]).flatMap((r) => r.charts?.releases ?? [])),
    ...coder.findings,
    ...accountFindings,
    ...report.regions.flatMap((r) => r.findings),
  ].sort((a, b) => rank(b) - rank(a));
  report.hasChanges =
    report.account.some(stackPlanChanged) ||
    report.regions.some(regionPlanChanged) ||
    sourceFindings.length > 0 ||
    coder.findings.length > 0;
  report.risk = overallRisk(report.findings, report.hasChanges);
  if (fetcher.records.length) report.fetches = [...fetcher.records];
  const routing = whatIfRouting(config, baseConfig, run.currentDns?.latencyRegions);
  if (routing) report.whatIfRouting = routing;
  log.info(
    `plan ${report.mode}: ${report.hasChanges ? 'changes' : 'no changes'}, risk ${report.risk}` +
      (report.errors.length ? `, ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}` : ''),
  );
  return done();
}
