import { subjectFor } from '../github/oidc-subject.js';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateHostedZoneCommand, ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runApply } from '../apply/apply-engine.js';
import type { ApplyReport } from '../apply/apply-types.js';
import { AwsClientFactory } from '../aws/client-factory.js';
import { listRecords } from '../aws/route53/alias-records.js';
import { resolveCredentials } from '../aws/oidc-credentials.js';
import { servesApex } from '../gitops/coder-topology.js';
import { loadValidatedGitops } from '../gitops/validate-gitops.js';
import { stackName, type GitopsConfig } from '../gitops/types.js';
import { runPlan } from '../plan/plan-engine.js';
import type { PlanReport } from '../plan/plan-types.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { CHECK_NAMES, type CheckName } from '../verify/check-result.js';
import { queryDns } from '../verify/dns-query.js';
import { runVerify, type VerifyReport } from '../verify/verify-engine.js';
import { writeSandboxStatusPage } from '../status/sandbox-history.js';
import { gitHead } from '../git/git.js';
import { registerAuroraStandIn } from './aurora-stand-in.js';
import { findKnotd, KNOT_INSTALL_COMMAND, startKnot, type KnotServer } from './knot.js';
import { zoneFromRoute53, type StandInTarget } from './knot-zone.js';
import { MOTO_ADMINISTRATOR, MOTO_IAM_ENFORCEMENT, startMotoServer, type MotoServer } from './moto-server.js';
import { renderEmulatorNoOps, summarizeLauncherEvents, type EmulatorNoOps } from './emulator-no-ops.js';
import { startOidcTokenServer, type OidcTokenServer } from './oidc-token-server.js';
import { resolveLines, startSandboxEndpoints, type SandboxEndpoints } from './sandbox-endpoints.js';
import { registerStandInLoadBalancer } from './stand-in-load-balancers.js';
import { coderStepFor } from '../apply/coder-region-step.js';
import { CoderClient, loadCoderCa } from '../coder/coder-client.js';
import { CODER_STAND_IN_GAPS } from './coder-api-state.js';
import { coderPodsStandIn } from './coder-pods-stand-in.js';
import { createOperatorCoderSecrets } from './sandbox-coder-secrets.js';
import { coderSummary } from '../report/coder-summary.js';

export interface SandboxOptions {
  gitopsDir: string;
  /** Leave everything running and print the environment to reuse. */
  keep: boolean;
  /** Send every AWS call through this endpoint in front of moto (the IAM call recorder's counting proxy). */
  routeAws?: (motoEndpoint: string) => Promise<string>;
  logger: Logger;
}

export interface SandboxStep {
  name: string;
  status: 'ok' | 'failed' | 'not-run';
  detail: string;
}

export interface SandboxRegionRow {
  region: string;
  stacks: string;
  cluster: string;
  dns: string;
  /** The Coder step: proxy, licence, provisioner key (identifiers and outcomes only). */
  coder: string;
  verify: string;
}

export interface SandboxReport {
  ok: boolean;
  steps: SandboxStep[];
  regions: SandboxRegionRow[];
  plan?: Pick<PlanReport, 'mode' | 'risk' | 'hasChanges' | 'apiCalls' | 'durationMs'> & {
    stacks: number;
    changeSets: number;
  };
  apply?: ApplyReport;
  verify?: VerifyReport;
  /** What the emulator enforced of IAM in this run, and what it left to the policy test. */
  iam?: { enforced: readonly string[]; notEnforced: readonly string[] };
  /** The status page rendered from a few runs of history (`.sandbox/status/site/index.html`). */
  statusPage?: string;
  /** With --keep: the environment to reuse with the CLI. */
  env?: Record<string, string>;
  /** What the Coder stand-in does not model (src/sandbox/coder-api-state.ts). */
  coderStandIn?: { gaps: readonly string[] };
  /** What moto accepted without doing it: stand-in types and no-op updates (moto-launcher.py). */
  emulatorNoOps?: EmulatorNoOps;
  durationMs: number;
}

interface Running {
  moto?: MotoServer;
  oidc?: OidcTokenServer;
  endpoints?: SandboxEndpoints;
  knot?: KnotServer;
  workDir?: string;
}

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
] as const;

async function zoneId(aws: AwsClientFactory, domain: string): Promise<string> {
  const r53 = aws.route53();
  const found = await r53.send(new ListHostedZonesByNameCommand({ DNSName: domain }));
  const zone = found.HostedZones?.find((z) => z.Name === `${domain}.`);
  if (zone?.Id) return zone.Id.replace('/hostedzone/', '');
  const created = await r53.send(
    new CreateHostedZoneCommand({ Name: domain, CallerReference: `coder-gitops-sandbox-${Date.now()}` }),
  );
  return created.HostedZone!.Id!.replace('/hostedzone/', '');
}

async function accountOutputs(aws: AwsClientFactory, config: GitopsConfig): Promise<Record<string, string>> {
  const { account, project } = config.platform;
  const out: Record<string, string> = {};
  for (const s of account.stacks) {
    const res = await aws
      .cloudFormation(account.region)
      .send(new DescribeStacksCommand({ StackName: stackName(project, account.region, s.name) }));
    for (const o of res.Stacks?.[0]?.Outputs ?? [])
      if (o.OutputKey && o.OutputValue) out[o.OutputKey] = o.OutputValue;
  }
  return out;
}

async function roleFactory(
  config: GitopsConfig,
  role: string | undefined,
  what: string,
  logger: Logger,
): Promise<AwsClientFactory> {
  if (!role) throw new Error(`the github-oidc stack has no ${what} role output`);
  const creds = await resolveCredentials({
    roleToAssume: role,
    region: config.platform.hubRegion,
    actionName: `sandbox-${what}`,
    runId: String(process.pid),
    allowedAccountIds: [config.platform.accountId],
    logger,
  });
  return new AwsClientFactory({ credentials: creds.provider });
}

const servedZones = new WeakMap<KnotServer, string>();

/** Regenerate Knot's zone from the emulator's Route 53 records; reload only when they changed. */
async function refreshKnot(
  aws: AwsClientFactory,
  config: GitopsConfig,
  zone: string,
  targets: StandInTarget[],
  knot: KnotServer,
): Promise<void> {
  const cfg = zoneFromRoute53(config, await listRecords(aws.route53(), zone), targets).knot;
  const text = JSON.stringify(cfg);
  if (servedZones.get(knot) === text) return;
  await knot.reload(cfg);
  servedZones.set(knot, text);
}

async function stopAll(run: Running): Promise<void> {
  await Promise.allSettled([run.knot?.stop(), run.endpoints?.close(), run.oidc?.close(), run.moto?.stop()]);
  if (run.workDir) await rm(run.workDir, { recursive: true, force: true });
}

/**
 * The whole pipeline on this machine (DESIGN.md, "The local sandbox"): moto, the hosted zone, the
 * account bootstrapped from github-oidc, local HTTPS endpoints and stand-in NLBs, then plan, apply
 * (cluster step not run: no Kubernetes API here) and verify every enabled region, with Knot answering
 * the zone by client subnet. Everything is stopped at the end unless `keep`.
 */
export async function runSandbox(opts: SandboxOptions): Promise<SandboxReport> {
  const t0 = performance.now();
  const log = opts.logger;
  const steps: SandboxStep[] = [];
  const report: SandboxReport = { ok: false, steps, regions: [], durationMs: 0 };
  const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const running: Running = {};
  let kept: { config: GitopsConfig; zone: string; targets: StandInTarget[] } | undefined;
  const step = async <T>(name: string, fn: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    return log.group(name, async () => {
      try {
        const { value, detail } = await fn();
        steps.push({ name, status: 'ok', detail });
        log.info(`✓ ${name}: ${detail}`);
        return value;
      } catch (err) {
        steps.push({ name, status: 'failed', detail: errorMessage(err) });
        throw err;
      }
    });
  };
  try {
    const config = await step('load gitops', async () => {
      const c = await loadValidatedGitops(opts.gitopsDir);
      return { value: c, detail: `${c.regions.length} regions, ${c.templates.size} templates, valid` };
    });
    const enabled = config.regions.filter((r) => r.enabled).map((r) => r.name);
    const { project, domain, accountId, hubRegion } = config.platform;
    running.workDir = await mkdtemp(join(tmpdir(), 'coder-gitops-sandbox-'));

    running.moto = await step('start the AWS emulator', async () => {
      const moto = await startMotoServer({ accountId, iam: 'enforce' });
      return {
        value: moto,
        detail: `moto on ${moto.endpoint}, account ${accountId}, IAM actions and web-identity trust enforced`,
      };
    });
    report.iam = MOTO_IAM_ENFORCEMENT;
    // The bootstrap's own administrator (an inline `*` policy): the account stacks, the zone, the stand-ins.
    process.env.AWS_ENDPOINT_URL = opts.routeAws
      ? await opts.routeAws(running.moto.endpoint)
      : running.moto.endpoint;
    process.env.AWS_ACCESS_KEY_ID = MOTO_ADMINISTRATOR.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_ADMINISTRATOR.secretAccessKey;
    process.env.AWS_REGION = hubRegion;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const admin = new AwsClientFactory();

    const zone = await step('hosted zone', async () => {
      const id = await zoneId(admin, domain);
      const declared = config.platform.hostedZoneId;
      config.platform.hostedZoneId = id;
      return {
        value: id,
        detail: `${domain} is ${id} in the emulator (platform.yaml's ${declared} stands for the live zone)`,
      };
    });

    const roles = await step('bootstrap the account (github-oidc, administrator)', async () => {
      const boot = await runApply({
        config,
        gitopsDir: config.dir,
        regions: [],
        headSha: 'bootstrap',
        dryRun: false,
        dns: 'hold',
        cluster: 'skip',
        allowDestructive: false,
        timeoutMinutes: 10,
        account: true,
        verify: {},
        aws: admin,
        logger: log.child('account'),
        pollIntervalMs: 200,
      });
      if (boot.status === 'failed') throw new Error(`account stacks failed: ${boot.errors.join('; ')}`);
      const outputs = await accountOutputs(admin, config);
      return {
        value: outputs,
        detail: `${boot.applied.map((a) => `${a.stackName} ${a.result}`).join(', ')}`,
      };
    });

    const repo = config.platform.github.repository;
    const mainRef = `refs/heads/${config.platform.github.branch}`;
    // Subjects as GitHub issues them under the repository's subject template (oidc-subject.ts).
    const pullRequest = subjectFor({
      repository: repo,
      context: { kind: 'pull_request' },
      ref: 'refs/pull/1/merge',
      workflowPath: '.github/workflows/plan.yml',
    });
    const deployJob = subjectFor({
      repository: repo,
      context: { kind: 'environment', name: 'production' },
      ref: mainRef,
      workflowPath: '.github/workflows/deploy.yml',
    });
    const verifyJob = subjectFor({
      repository: repo,
      context: { kind: 'ref' },
      ref: mainRef,
      workflowPath: '.github/workflows/deploy.yml',
    });
    running.oidc = await startOidcTokenServer({ subject: pullRequest, repository: repo });
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = running.oidc.requestUrl;
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = running.oidc.requestToken;
    const [planAws, deployAws, verifyAws] = await step(
      'assume the workflow roles through GitHub OIDC',
      async () => {
        // As GitHub issues them: plan.yml runs on a pull request, apply and verify on main.
        const plan = await roleFactory(config, roles.PlanRoleArn, 'plan', log);
        let refused = 'not tried';
        try {
          await roleFactory(config, roles.DeployRoleArn, 'deploy', log);
          refused = 'ACCEPTED';
        } catch {
          refused = 'refused';
        }
        if (refused !== 'refused')
          throw new Error(`the deploy role accepted a pull request's token (${pullRequest})`);
        running.oidc!.subject = deployJob;
        const deploy = await roleFactory(config, roles.DeployRoleArn, 'deploy', log);
        running.oidc!.subject = verifyJob;
        const verify = await roleFactory(config, roles.VerifyRoleArn, 'verify', log);
        return {
          value: [plan, deploy, verify],
          detail: `plan with sub ${pullRequest}; deploy with sub ${deployJob}; verify with sub ${verifyJob}; deploy refused the pull request's token (${running.oidc!.requests.length} tokens served)`,
        };
      },
    );

    const operator = await step('Coder operator secrets (owner token, licence)', async () => {
      const o = await createOperatorCoderSecrets(admin, config);
      return {
        value: o,
        detail: `created as an operator would, in Secrets Manager: ${o.secrets.join(', ')} (the licence is unsigned: the stand-in does not check signatures)`,
      };
    });
    running.endpoints = await step('local HTTPS endpoints', async () => {
      const e = await startSandboxEndpoints(config, enabled, running.workDir!, operator.ownerToken);
      return {
        value: e,
        detail:
          [...e.byRegion].map(([r, s]) => `${r} on 127.0.0.1:${s.port}`).join(', ') + `, CA ${e.ca.certFile}`,
      };
    });
    const targets = await step('stand-in NLBs (what the load balancer controller would create)', async () => {
      const t: StandInTarget[] = [];
      for (const [i, region] of enabled.entries()) {
        const lb = await registerStandInLoadBalancer(admin, config, region);
        t.push({ region, dnsName: lb.dnsName, address: `127.0.10.${i + 1}` });
      }
      const aurora = await registerAuroraStandIn(admin, config);
      return {
        value: t,
        detail: `${t.map((x) => `${x.region}: ${x.dnsName}`).join(', ')}; Aurora cluster ${aurora}`,
      };
    });

    kept = { config, zone, targets };
    const headSha = (await gitHead(dirname(opts.gitopsDir))) || 'sandbox';
    const plan = await step('plan every enabled region', async () => {
      const p = await runPlan({
        gitopsDir: opts.gitopsDir,
        regions: enabled,
        account: 'never',
        hostedZoneId: zone,
        headSha,
        baseRef: 'the emulator (empty account)',
        aws: planAws,
        logger: log.child('plan'),
      });
      if (p.errors.length) throw new Error(p.errors.map((e) => e.message).join('; '));
      const stacks = p.regions.flatMap((r) => r.stacks);
      report.plan = {
        mode: p.mode,
        risk: p.risk,
        hasChanges: p.hasChanges,
        apiCalls: p.apiCalls,
        durationMs: p.durationMs,
        stacks: stacks.length,
        changeSets: stacks.filter((s) => s.changeSetName && (s.status === 'create' || s.status === 'update'))
          .length,
      };
      return {
        value: p,
        detail: `${stacks.length} stacks, ${report.plan.changeSets} change sets to review, ${stacks.filter((s) => s.status === 'blocked').length} known after apply, risk ${p.risk}`,
      };
    });
    void plan;

    const coderAccess = { caFile: running.endpoints.ca.certFile, resolve: running.endpoints.resolve };
    const coderStep = coderStepFor(coderAccess);
    const coderPods = coderPodsStandIn({
      aws: admin,
      ...coderAccess,
      versionOf: (region) => running.endpoints!.byRegion.get(region)?.version() ?? 'unknown',
      onCoderVersion: (region, v) => running.endpoints!.byRegion.get(region)?.setVersion(`v${v}+sandbox`),
    });
    const apply = await step('apply in waves (cluster step not run), verify, promote into DNS', async () => {
      const a = await runApply({
        config,
        gitopsDir: config.dir,
        regions: enabled,
        headSha,
        reviewed: { prNumber: 0, headSha },
        dryRun: false,
        dns: 'promote',
        // No Kubernetes API here: the cluster step plays Coder's pods (coder-pods-stand-in.ts) and reports not run.
        cluster: 'eks',
        clusterStep: coderPods,
        coderStep,
        coderUpgrade: { ...coderAccess, pollMs: 200 },
        allowDestructive: false,
        timeoutMinutes: 30,
        verify: { caFile: running.endpoints!.ca.certFile, resolve: running.endpoints!.resolve },
        aws: deployAws,
        logger: log.child('apply'),
        pollIntervalMs: 200,
      });
      report.apply = a;
      if (a.status === 'failed') throw new Error(a.errors.join('; ') || 'apply failed');
      return {
        value: a,
        detail: `${a.status}: ${a.applied.length} stacks, ${a.regions.filter((r) => r.dns?.inLatencyRouting).length} regions in latency routing`,
      };
    });

    await step("Coder's pods pick up their credentials again", async () => {
      // The primary's provisioner key exists only after its cluster step; its pod retries until it does.
      const played: string[] = [];
      for (const region of enabled) {
        const r = await coderPods({
          region,
          config,
          gitopsDir: config.dir,
          mode: 'eks',
          clusterName: `${project}-${region}`,
          clusterVars: {},
          stackOutputs: {},
          aws: admin,
          logger: log,
          timeoutMs: 10_000,
        });
        if (r.status === 'failed') throw new Error(r.reason);
        played.push(
          `${region}: ${r.reason?.includes('instead: ') ? r.reason.replace(/^.*instead: /, '') : 'nothing to start'}`,
        );
      }
      return { value: undefined, detail: played.join('; ') };
    });

    const knotd = findKnotd();
    let nameserver: { host: string; port: number } | undefined;
    if (knotd) {
      running.knot = await step('Knot DNS from the emulator’s Route 53 records', async () => {
        const zoneCfg = zoneFromRoute53(config, await listRecords(admin.route53(), zone), targets);
        const k = await startKnot({ ...zoneCfg.knot, knotd });
        servedZones.set(k, JSON.stringify(zoneCfg.knot));
        return {
          value: k,
          detail: `127.0.0.1:${k.port}, latency set ${zoneCfg.latencyRegions.join(', ') || 'empty'}, ${zoneCfg.knot.geo.length} client-subnet rules`,
        };
      });
      nameserver = { host: running.knot.host, port: running.knot.port };
    } else {
      steps.push({
        name: 'Knot DNS',
        status: 'not-run',
        detail: `knotd with the geoip module is missing: ${KNOT_INSTALL_COMMAND}`,
      });
      log.warn(`routing check not run: knotd with the geoip module is missing (${KNOT_INSTALL_COMMAND})`);
    }

    const checks: CheckName[] = CHECK_NAMES.filter((c) => c !== 'routing' || nameserver);
    const verify = await step('verify every enabled region', async () => {
      const ownerToken = operator.ownerToken;
      log.setSecret(ownerToken);
      const v = await runVerify({
        config,
        regions: enabled,
        checks,
        coder: new CoderClient({
          baseUrl: `https://${hubRegion}.${domain}`,
          sessionToken: ownerToken,
          ca: await loadCoderCa(running.endpoints!.ca.certFile),
          resolve: running.endpoints!.resolve,
        }),
        resolve: running.endpoints!.resolve,
        caFile: running.endpoints!.ca.certFile,
        nameserver,
        attempts: 2,
        aws: verifyAws,
        logger: log.child('verify'),
      });
      report.verify = v;
      if (v.status === 'fail')
        throw new Error(
          `verify failed: ${v.results
            .filter((r) => r.status === 'fail')
            .map((r) => `${r.check} ${r.target}: ${r.summary}`)
            .join('; ')}`,
        );
      return {
        value: v,
        detail: `${v.status}: ${v.results.filter((r) => r.status === 'pass').length}/${v.results.length} checks pass`,
      };
    });

    if (running.knot) {
      // Only a region in the apex latency set can be drained from it: a replica, never a workspace proxy
      // (coder-topology.ts servesApex); with primary + proxies there is nothing to drain and no step.
      const spoke = config.regions.find((r) => r.enabled && r.role === 'spoke' && servesApex(r));
      const vantage = spoke && config.platform.vantagePoints.find((v) => v.expectedRegions[0] === spoke.name);
      if (spoke && vantage) {
        await step(`drain ${spoke.name} and promote it again`, async () => {
          const regionOf = async (): Promise<string> => {
            await refreshKnot(admin, config, zone, targets, running.knot!);
            const answer = await queryDns({
              server: { host: running.knot!.host, port: running.knot!.port },
              name: domain,
              type: 'A',
              clientSubnet: vantage.clientSubnet,
              timeoutMs: 2000,
            });
            const address = answer.answers.find((a) => a.type === 'A')?.data;
            return (
              targets.find((t) => t.address === address)?.region ?? `no region (${address ?? 'no answer'})`
            );
          };
          const dnsRun = (dns: 'remove' | 'promote') =>
            runApply({
              config,
              gitopsDir: config.dir,
              regions: [spoke.name],
              headSha,
              dryRun: false,
              dns,
              cluster: 'skip',
              coderStep,
              allowDestructive: false,
              timeoutMinutes: 10,
              verify: { caFile: running.endpoints!.ca.certFile, resolve: running.endpoints!.resolve },
              aws: deployAws,
              logger: log.child(`dns ${dns}`),
              pollIntervalMs: 200,
            });
          const before = await regionOf();
          const drained = await dnsRun('remove');
          const during = await regionOf();
          const promoted = await dnsRun('promote');
          const after = await regionOf();
          const hub = config.platform.hubRegion;
          if (drained.status === 'failed' || promoted.status === 'failed') {
            throw new Error([...drained.errors, ...promoted.errors].join('; '));
          }
          if (before !== spoke.name || during !== hub || after !== spoke.name) {
            throw new Error(
              `${vantage.name}'s answer for ${domain} went ${before} → ${during} → ${after}; expected ${spoke.name} → ${hub} → ${spoke.name}`,
            );
          }
          return {
            value: undefined,
            detail: `${vantage.name} (${vantage.clientSubnet}) asking for ${domain}: ${before}, drained → ${during}, promoted again → ${after}`,
          };
        });
      }
    }

    await step('status page from a few runs of history', async () => {
      const s = writeSandboxStatusPage(verify, join(dirname(opts.gitopsDir), '.sandbox', 'status'));
      report.statusPage = s.page.file;
      return {
        value: undefined,
        detail: `${s.page.runs} runs (the last is this verify; ${s.degradedRegion ?? 'no region'} degraded in a simulated earlier one) → ${s.page.file}`,
      };
    });

    for (const region of enabled) {
      const r = apply.regions.find((x) => x.region === region);
      const own = verify.results.filter((x) => x.region === region);
      report.regions.push({
        region,
        stacks: r ? `${r.status} (${r.stacks.length} stacks)` : 'not applied',
        cluster:
          r?.cluster.status === 'skipped'
            ? "not run: no Kubernetes API in the sandbox (Coder's pods played)"
            : (r?.cluster.status ?? '-'),
        coder: coderSummary(r?.coder),
        dns: r?.dns
          ? `${r.dns.inLatencyRouting ? 'in latency routing' : 'not in latency routing'}${r.dns.reason ? ` (${r.dns.reason})` : ''}`
          : '-',
        verify: own.length ? `${own.filter((x) => x.status === 'pass').length}/${own.length} pass` : '-',
      });
    }
    report.coderStandIn = { gaps: CODER_STAND_IN_GAPS };
    report.emulatorNoOps = summarizeLauncherEvents(running.moto.events());
    report.ok =
      // Every region in the apex latency set that should be (a workspace proxy never is: coder-topology.ts).
      apply.regions.every((r) => {
        const region = config.regions.find((x) => x.name === r.region);
        return r.status !== 'failed' && r.dns?.inLatencyRouting === (region ? servesApex(region) : true);
      }) && verify.status !== 'fail';
    if (opts.keep) {
      report.env = {
        AWS_ENDPOINT_URL: running.moto.endpoint,
        AWS_ACCESS_KEY_ID: MOTO_ADMINISTRATOR.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_ADMINISTRATOR.secretAccessKey,
        AWS_REGION: hubRegion,
        CA_FILE: running.endpoints!.ca.certFile,
        RESOLVE: resolveLines(running.endpoints!.resolve).join(' '),
        ...(nameserver ? { NAMESERVER: `${nameserver.host}:${nameserver.port}` } : {}),
        HOSTED_ZONE_ID: zone,
        PROJECT: project,
      };
    }
  } catch (err) {
    log.error(`sandbox stopped: ${errorMessage(err)}`);
  } finally {
    report.durationMs = Math.round(performance.now() - t0);
    if (opts.keep && report.ok) {
      // Kept running for the CLI: Ctrl-C (or a TERM) stops the emulator, Knot and the endpoints.
      const knot = running.knot;
      if (knot && kept) {
        const { config: keptConfig, zone: keptZone, targets: keptTargets } = kept;
        // Knot follows Route 53 while kept, so a drain or promote through the CLI changes the answers.
        const admin = new AwsClientFactory();
        const timer = setInterval(() => {
          void refreshKnot(admin, keptConfig, keptZone, keptTargets, knot).catch(() => undefined);
        }, 2000);
        timer.unref();
      }
      const stop = () => void stopAll(running).finally(() => process.exit(130));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } else {
      await stopAll(running);
      for (const k of ENV_KEYS) {
        if (savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = savedEnv[k];
      }
    }
  }
  return report;
}

/** The final report for a person. */
export function renderSandboxText(report: SandboxReport): string {
  const out: string[] = [
    '',
    `sandbox: ${report.ok ? 'OK' : 'FAILED'} in ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
  ];
  for (const s of report.steps)
    out.push(`  ${s.status === 'ok' ? '✓' : s.status === 'not-run' ? '–' : '✗'} ${s.name}: ${s.detail}`);
  if (report.regions.length) {
    out.push('');
    const rows = [
      ['region', 'stacks', 'cluster', 'coder', 'dns', 'verify'],
      ...report.regions.map((r) => [r.region, r.stacks, r.cluster, r.coder, r.dns, r.verify]),
    ];
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      out.push(
        `  ${r
          .map((c, i) => c.padEnd(w[i]!))
          .join('  ')
          .trimEnd()}`,
      );
  }
  if (report.iam) {
    out.push('', '  IAM in the emulator:');
    for (const e of report.iam.enforced) out.push(`    enforced: ${e}`);
    for (const e of report.iam.notEnforced) out.push(`    not enforced: ${e}`);
  }
  if (report.verify?.matrix?.cells.length) {
    out.push('', '  latency routing (vantage point × name → region):');
    const m = report.verify.matrix;
    for (const vp of m.vantagePoints) {
      const cells = m.names.map((n) => {
        const c = m.cells.find((x) => x.vantage === vp && x.name === n && x.source === 'dns');
        return `${n} → ${c?.answeredRegion ?? '?'}${c && c.status !== 'pass' ? ` (${c.status})` : ''}`;
      });
      out.push(`    ${vp.padEnd(10)} ${cells.join('   ')}`);
    }
  }
  if (report.coderStandIn) {
    out.push('', '  the Coder stand-in does not model:');
    for (const g of report.coderStandIn.gaps) out.push(`    - ${g}`);
  }
  if (report.emulatorNoOps) out.push(...renderEmulatorNoOps(report.emulatorNoOps));
  if (report.statusPage) out.push('', `status page: ${report.statusPage}`);
  if (report.env) {
    out.push('', 'the sandbox keeps running (Ctrl-C stops it); reuse it with:');
    for (const [k, v] of Object.entries(report.env)) out.push(`  export ${k}='${v}'`);
    out.push(
      `  npx coder-gitops verify --aws --hosted-zone-id "$HOSTED_ZONE_ID" --ca-file "$CA_FILE" ${report.env.NAMESERVER ? '--nameserver "$NAMESERVER" ' : ''}$(for r in $RESOLVE; do printf -- '--resolve %s ' "$r"; done)`,
      `  npx coder-gitops apply --region us-west-2 --dns remove --cluster skip --hosted-zone-id "$HOSTED_ZONE_ID"   # drain a region`,
    );
  }
  return out.join('\n');
}
