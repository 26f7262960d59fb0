import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { runApply } from '../src/apply/apply-engine.js';
import type { ApplyReport } from '../src/apply/apply-types.js';
import { AwsClientFactory } from '../src/aws/client-factory.js';
import { loadGitops } from '../src/gitops/load-gitops.js';
import { orderRegions } from '../src/gitops/stack-order.js';
import type { GitopsConfig } from '../src/gitops/types.js';
import { runPlan } from '../src/plan/plan-engine.js';
import type { PlanReport, RegionPlan } from '../src/plan/plan-types.js';
import { estimateRegionRollout } from '../src/plan/rollout-estimate.js';
import { startMotoServer, type MotoServer } from '../src/sandbox/moto-server.js';
import { MemoryLogger } from '../src/util/logger.js';
import { realSleep } from '../src/util/retry.js';
import { startStackTimingProxy, type StackTimingProxy } from '../test/helpers/stack-timing-proxy.js';

/** moto behind the timing proxy (src/aws/timing-model.ts played time-scaled); this process's SDK points at it. */
export interface ModelAws {
  moto: MotoServer;
  proxy: StackTimingProxy;
  env: NodeJS.ProcessEnv;
  /** Empty moto, forget the proxy's state, create the existing hosted zone; returns its id. */
  freshAccount(domain: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startModelAws(accountId: string): Promise<ModelAws> {
  const moto = await startMotoServer({ accountId });
  const proxy = await startStackTimingProxy({ upstream: moto.endpoint });
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-2';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return {
    moto,
    proxy,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-2',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    async freshAccount(domain) {
      await moto.reset();
      proxy.reset();
      const zone = await new AwsClientFactory()
        .route53()
        .send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `bench-${Date.now()}` }));
      proxy.reset();
      return zone.HostedZone!.Id!.replace('/hostedzone/', '');
    },
    async stop() {
      await proxy.close();
      await moto.stop();
    },
  };
}

/** A config loaded for a run: the emulator's hosted zone id put in. */
export async function loadForRun(gitopsDir: string, hostedZoneId: string): Promise<GitopsConfig> {
  const config = await loadGitops(gitopsDir);
  config.platform.hostedZoneId = hostedZoneId;
  return config;
}

/** The scaled sleep both engines get: their 5 s polls take 5 s of modeled time. */
export function scaledSleep(scale: number): (ms: number) => Promise<void> {
  return (ms) => (scale > 0 ? realSleep(ms * scale) : Promise.resolve());
}

/** apply every given region as the deploy workflow does (cluster step skipped: no Kubernetes API here). */
export async function applyModeled(
  config: GitopsConfig,
  gitopsDir: string,
  regions: string[],
  scale: number,
  headSha = 'be0c000000000000000000000000000000000001',
): Promise<{ report: ApplyReport; ms: number }> {
  const t0 = performance.now();
  const report = await runApply({
    config,
    gitopsDir,
    regions,
    headSha,
    dryRun: false,
    dns: 'promote',
    cluster: 'skip',
    allowDestructive: false,
    timeoutMinutes: 600,
    verify: {},
    aws: new AwsClientFactory(),
    logger: new MemoryLogger(),
    sleep: scaledSleep(scale),
  });
  const ms = performance.now() - t0;
  if (report.errors.length) throw new Error(`apply reported errors: ${report.errors.join('; ')}`);
  return { report, ms };
}

/** plan the given regions as plan.yml does (online, change sets), with the scaled sleep. */
export async function planModeled(
  gitopsDir: string,
  regions: string[],
  scale: number,
  opts: { baseDir?: string; hostedZoneId?: string; headSha?: string } = {},
): Promise<{ report: PlanReport; ms: number }> {
  const t0 = performance.now();
  const report = await runPlan({
    gitopsDir,
    baseDir: opts.baseDir,
    regions,
    account: 'never',
    headSha: opts.headSha ?? 'be0c000000000000000000000000000000000002',
    baseRef: 'main',
    aws: new AwsClientFactory(),
    logger: new MemoryLogger(),
    hostedZoneId: opts.hostedZoneId,
    sleep: scaledSleep(scale),
  });
  const ms = performance.now() - t0;
  if (report.errors.length)
    throw new Error(`plan reported errors: ${report.errors.map((e) => e.message).join('; ')}`);
  return { report, ms };
}

/** Every stack of a region planned as new (a first rollout), for the model. */
function allNew(config: GitopsConfig, region: string): RegionPlan {
  const r = config.regions.find((x) => x.name === region)!;
  return {
    region,
    enabled: true,
    stacks: r.stacks.map((s) => ({
      region,
      deployRegion: region,
      stack: s.name,
      stackName: s.name,
      template: s.template,
      status: 'create' as const,
      changes: [],
      parameters: [],
      templateDiff: '',
      risk: 'none' as const,
      findings: [],
    })),
    flux: [],
    dns: [],
    clusterVars: [],
    risk: 'none',
    findings: [],
  };
}

/**
 * The model's first rollout of `regions`: waves one after another, regions of a wave side by side, a
 * region's stacks along their graph (its critical path), in modeled seconds; and every stack one after
 * another (the sequential sum).
 */
export function modeledFirstRollout(
  config: GitopsConfig,
  regions: string[],
): { criticalPathS: number; sequentialS: number; stacks: number; path: string } {
  let criticalPathS = 0;
  let sequentialS = 0;
  let stacks = 0;
  const path: string[] = [];
  for (const wave of orderRegions(config)) {
    const inWave = wave.filter((r) => regions.includes(r.name));
    if (inWave.length === 0) continue;
    const estimates = inWave.map((r) => estimateRegionRollout(config, allNew(config, r.name)));
    const slowest = estimates.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    criticalPathS += slowest.seconds;
    path.push(`${slowest.region}: ${slowest.criticalPath.join(' → ')}`);
    for (const e of estimates) {
      sequentialS += e.sequentialSeconds;
      stacks += e.stacks.length;
    }
  }
  return { criticalPathS, sequentialS, stacks, path: path.join(', then ') };
}
