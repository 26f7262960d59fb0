import type { AwsClientFactory } from '../aws/client-factory.js';
import type { ClusterReport } from '../cluster/ensure-cluster.js';
import { CoderClient, loadCoderCa } from '../coder/coder-client.js';
import {
  CODER_VERSION_VAR,
  compareCoderVersions,
  parseCoderVersion,
  type CoderVersion,
} from '../gitops/coder-version.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { coderUpgradeOrder, describeCoderUpgrade, type CoderUpgradeOrder } from '../review/domain-rules.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { openPrimaryClient, primaryUrlFor, type CoderAccess } from './coder-region-step.js';

/**
 * The cluster variable the Coder HelmRelease reads its replica count from (`replicaCount`, declared per
 * region): apply-region writes 0 into a `replica` region before the primary migrates the schema.
 */
export const CODER_REPLICA_COUNT_VAR = 'coder_replica_count';

/** What apply-region did about the Coder version of one region. */
export interface CoderVersionReport {
  /** The version written as `coder_version` (undefined when the region was not reached). */
  version?: string;
  /** What the primary reported before this region's cluster step. */
  primaryBefore?: string;
  status: 'upgraded' | 'unchanged' | 'installed' | 'scaled-down' | 'failed';
  /** On the primary, for a version change: the order followed (the review module's). */
  order?: CoderUpgradeOrder;
  /** Replicas scaled to zero before the primary. */
  scaledDown?: string[];
  reason?: string;
}

export interface CoderUpgradeOptions {
  config: GitopsConfig;
  access: CoderAccess;
  aws: AwsClientFactory;
  logger: Logger;
  /** Runs a region's cluster step with these cluster variables (the engine's). */
  clusterFor: (region: RegionConfig, vars: Record<string, string>) => Promise<ClusterReport>;
  /** The region's cluster variables as its sources resolve them now. */
  varsOf: (region: RegionConfig) => Promise<Record<string, string>>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Longest wait for the primary to report the new version and be healthy (default 10 min). */
  primaryWaitMs?: number;
  /** Between looks at the primary (default 5 s). */
  pollMs?: number;
  /** For tests: the client of the primary (default: openPrimaryClient with the owner token). */
  primaryClient?: () => Promise<CoderClient>;
}

/**
 * How to go on after a failed primary upgrade: the schema may already be migrated, and Coder does not
 * support downgrades across migrations, so reverting coder.version is never the fix.
 */
export function rollForwardAdvice(
  primary: string,
  from: string | undefined,
  to: string,
  scaledDown: string[] = [],
): string {
  return (
    `every proxy was left on ${from ?? 'its version'}` +
    (scaledDown.length
      ? ` and Coder stays scaled to zero in ${scaledDown.join(', ')} (an old replica must not serve a migrated schema)`
      : '') +
    `. Roll forward: find why ${primary} did not come up on ${to} ` +
    `(kubectl -n coder logs deploy/coder, flux -n coder get helmrelease coder), fix it, and apply again with ` +
    `coder.version ${to} or a newer release; do not revert coder.version (Coder does not support downgrades ` +
    'across migrations: the schema may already be migrated)'
  );
}

/**
 * Coder upgrades in the order of the review module's rule `coder-version-change`: with a version change,
 * the other replicas are scaled to zero, the primary's cluster gets the new `coder_version` and apply waits
 * until it reports that version through /api/v2/buildinfo and a healthy report; proxies and replicas get
 * the version only once the primary reports it. A region never runs ahead of the primary.
 */
export class CoderUpgrade {
  private readonly desired?: string;
  private client?: Promise<CoderClient>;

  constructor(private readonly opts: CoderUpgradeOptions) {
    this.desired = opts.config.platform.coder.version;
  }

  private primaryClient(): Promise<CoderClient> {
    this.client ??= this.opts.primaryClient
      ? this.opts.primaryClient()
      : openPrimaryClient(this.opts.config, this.opts.aws, this.opts.access, this.opts.logger);
    // A failed open (no token yet) is tried again next time rather than remembered.
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  /** buildinfo needs no token: on a first rollout the owner token may not exist yet. */
  private async buildInfoClient(): Promise<CoderClient> {
    if (this.opts.primaryClient) return this.opts.primaryClient();
    return new CoderClient({
      baseUrl: primaryUrlFor(this.opts.config),
      sessionToken: '',
      ca: await loadCoderCa(this.opts.access.caFile),
      resolve: this.opts.access.resolve,
      timeoutMs: this.opts.access.timeoutMs,
    });
  }

  /** The version the primary reports now, or why it cannot be read. */
  private async primaryVersion(): Promise<{ version?: CoderVersion; raw?: string; error?: string }> {
    try {
      const info = await (await this.buildInfoClient()).buildInfo();
      const version = parseCoderVersion(info.version);
      return version
        ? { version, raw: info.version }
        : { raw: info.version, error: `unreadable version "${info.version}"` };
    } catch (err) {
      return { error: errorMessage(err) };
    }
  }

  /**
   * Before a region's cluster step: the `coder_version` it gets (and, on the primary with a version
   * change, the replicas scaled to zero first). `error` set: the region's cluster step must not run.
   */
  async beforeCluster(
    region: RegionConfig,
    vars: Record<string, string>,
  ): Promise<{ vars: Record<string, string>; report?: CoderVersionReport; error?: string }> {
    const desired = this.desired;
    if (!desired || !(CODER_VERSION_VAR in vars)) return { vars };
    const log = this.opts.logger;
    const want = parseCoderVersion(desired);
    const now = await this.primaryVersion();
    const primaryName =
      this.opts.config.regions.find((r) => r.enabled && r.coder === 'primary')?.name ??
      this.opts.config.platform.hubRegion;

    if (region.coder === 'primary') {
      if (!now.version) {
        // Nothing answers yet (a first install) or it is down: no other server runs this schema's old version through us.
        log.info(
          `Coder primary does not answer buildinfo (${now.error ?? 'no version'}): installing ${desired}`,
        );
        return {
          vars: { ...vars, [CODER_VERSION_VAR]: desired },
          report: { version: desired, status: 'installed' },
        };
      }
      if (want && compareCoderVersions(now.version, want) === 0 && now.version.text === want.text) {
        return {
          vars: { ...vars, [CODER_VERSION_VAR]: desired },
          report: { version: desired, primaryBefore: now.raw, status: 'unchanged' },
        };
      }
      const order = coderUpgradeOrder(this.opts.config.regions, now.version.text, desired);
      log.info(`Coder ${now.version.text} → ${desired}: ${describeCoderUpgrade(order)}`);
      order.steps.forEach((s, i) => log.info(`  ${i + 1}. ${s}`));
      const report: CoderVersionReport = {
        version: desired,
        primaryBefore: now.raw,
        status: 'upgraded',
        order,
        scaledDown: [],
      };
      for (const name of order.replicas) {
        const replica = this.opts.config.regions.find((r) => r.name === name);
        if (!replica) continue;
        const replicaVars = {
          ...(await this.opts.varsOf(replica)),
          [CODER_VERSION_VAR]: now.version.text,
          [CODER_REPLICA_COUNT_VAR]: '0',
        };
        log.info(`${name}: scaling Coder to zero before the primary migrates the schema`);
        const r = await this.opts.clusterFor(replica, replicaVars);
        if (r.status !== 'ready') {
          const reason = `could not scale Coder to zero in ${name} (${r.reason ?? r.status}): the primary was not upgraded, every region stays on ${now.version.text}`;
          return { vars, report: { ...report, status: 'failed', reason }, error: reason };
        }
        report.scaledDown!.push(name);
      }
      return { vars: { ...vars, [CODER_VERSION_VAR]: desired }, report };
    }

    // A proxy or a replica: only the version the primary already reports.
    if (!now.version) {
      const reason = `the Coder primary ${primaryName} does not report its version (${now.error ?? 'no answer'}): a ${region.coder} gets a Coder version only after the primary reports it; apply ${primaryName} first`;
      return { vars, report: { status: 'failed', reason }, error: reason };
    }
    if (!want || now.version.text !== want.text) {
      const ahead = want && compareCoderVersions(want, now.version) > 0;
      const reason = ahead
        ? `the Coder primary ${primaryName} runs ${now.version.text}, not ${desired}: a ${region.coder} never runs ahead of the primary (the schema is migrated by the primary); apply ${primaryName} first`
        : `the Coder primary ${primaryName} runs ${now.version.text}, but coder.version is ${desired}: apply ${primaryName} first`;
      return { vars, report: { primaryBefore: now.raw, status: 'failed', reason }, error: reason };
    }
    return {
      vars: { ...vars, [CODER_VERSION_VAR]: desired },
      report: { version: desired, primaryBefore: now.raw, status: 'upgraded' },
    };
  }

  /**
   * After the primary's cluster step during a version change: wait until it reports the new version and
   * a healthy report. `error` set (with how to roll forward): nothing else may be upgraded.
   */
  async afterCluster(
    region: RegionConfig,
    cluster: ClusterReport,
    report: CoderVersionReport | undefined,
  ): Promise<{ error?: string }> {
    if (region.coder !== 'primary' || !report || report.status !== 'upgraded' || !report.version) return {};
    const to = report.version;
    const from = report.order?.from;
    const fail = (why: string) => {
      const reason = `Coder upgrade ${from ?? '?'} → ${to} failed on the primary ${region.name}: ${why}; ${rollForwardAdvice(region.name, from, to, report.scaledDown)}`;
      report.status = 'failed';
      report.reason = reason;
      this.opts.logger.error(reason);
      return { error: reason };
    };
    // `skipped` is a cluster step that did not run Flux (the sandbox plays the pods): buildinfo decides.
    if (cluster.status === 'failed') return fail(cluster.reason ?? 'the cluster step failed');
    const want = parseCoderVersion(to)!;
    const deadline = this.opts.now() + (this.opts.primaryWaitMs ?? 10 * 60_000);
    let last = '';
    for (;;) {
      const now = await this.primaryVersion();
      if (now.version && now.version.text === want.text) {
        const health = await this.primaryHealth();
        if (health.healthy) {
          this.opts.logger.info(`${region.name} reports ${now.raw} and is healthy: the proxies follow`);
          return {};
        }
        last = `reports ${now.raw} but is not healthy: ${health.why}`;
      } else {
        last = now.version ? `still reports ${now.raw}` : `does not answer buildinfo: ${now.error ?? ''}`;
      }
      if (this.opts.now() >= deadline)
        return fail(
          `${region.name} ${last} after ${Math.round((this.opts.primaryWaitMs ?? 600_000) / 1000)} s`,
        );
      await this.opts.sleep(this.opts.pollMs ?? 5000);
    }
  }

  /**
   * Coder's own health report. Its workspace-proxy section is left out: proxies still on the old version
   * are expected to be flagged until they follow, which is the next step.
   */
  private async primaryHealth(): Promise<{ healthy: boolean; why?: string }> {
    try {
      const h = await (await this.primaryClient()).debugHealth();
      const bad = (['access_url', 'database', 'derp', 'websocket'] as const).filter(
        (s) => h[s] && !h[s].healthy,
      );
      return bad.length
        ? { healthy: false, why: bad.map((s) => `${s}: ${h[s].error ?? h[s].severity}`).join('; ') }
        : { healthy: true };
    } catch (err) {
      return { healthy: false, why: errorMessage(err) };
    }
  }
}
