import type { AwsClientFactory } from '../aws/client-factory.js';
import type { GitopsConfig } from '../gitops/types.js';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { realSleep, withRetry } from '../util/retry.js';
import { clusterVarsConfigMap, gitCredentialSecret, loadSyncObjects } from './cluster-manifests.js';
import { detectFlux, fluxDrift, renderFluxInstall } from './flux-install.js';
import { requestReconcile, waitForFlux } from './flux-wait.js';
import { FluxWatch } from './flux-watch.js';
import { connectCluster, type ClusterAccess } from './kube-access.js';
import { describeRef, KubeApiError, type ApplyResult, type KubeObject } from './kube-client.js';

export type { ClusterAccess };

export interface EnsureClusterOptions {
  region: string;
  /** Absolute path of gitops/ (the sync objects are read from `clusters/<region>/`). */
  gitopsDir: string;
  config: GitopsConfig;
  access: ClusterAccess;
  /** Resolved by apply-region; written as ConfigMap flux-system/cluster-vars. Nothing sensitive. */
  clusterVars: Record<string, string>;
  /** Path of the flux CLI (default `flux` on PATH). */
  fluxCli?: string;
  /** Secrets Manager id of Flux's Git credential; written as Secret flux-system/flux-system. */
  gitCredentialSecretId?: string;
  timeoutMs: number;
  /** Between looks at the Flux objects (default 10 s). */
  pollMs?: number;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface AppliedObject {
  kind: string;
  name: string;
  namespace: string;
  result: ApplyResult;
}

export interface NotReadyObject {
  kind: string;
  name: string;
  namespace: string;
  message: string;
}

export interface ClusterReport {
  status: 'ready' | 'failed' | 'skipped';
  /** True when this run installed Flux. */
  fluxInstalled: boolean;
  /** The Flux version running (installed now, or found). */
  fluxVersion?: string;
  /** Set when the running Flux is not the version platform.yaml pins. */
  drift?: string;
  /**
   * Settings a Flux found running lacks (kustomize-controller's --no-remote-bases=true and
   * StrictPostBuildSubstitutions=true); apply-region does not change a running Flux, it reports this.
   */
  missingFluxSettings?: string[];
  applied: AppliedObject[];
  notReady: NotReadyObject[];
  reason?: string;
  durationMs: number;
}

/** A report for a cluster step that was not run (the sandbox has no Kubernetes API), with the reason. */
export function skippedClusterReport(reason: string): ClusterReport {
  return { status: 'skipped', fluxInstalled: false, applied: [], notReady: [], reason, durationMs: 0 };
}

/**
 * Hand a region's cluster to Flux and wait until what it installs is Ready: install Flux at the pinned
 * version when missing (report drift when present), apply the sync objects, Flux's Git credential and
 * cluster-vars, request a reconcile and follow the Kustomizations and HelmReleases. Never throws: a
 * failure is a `failed` report with the reason.
 */
export async function ensureCluster(opts: EnsureClusterOptions): Promise<ClusterReport> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const started = now();
  const log = opts.logger;
  const report: ClusterReport = {
    status: 'failed',
    fluxInstalled: false,
    applied: [],
    notReady: [],
    durationMs: 0,
  };
  const clusterName =
    opts.access.mode === 'eks' ? opts.access.clusterName : (opts.access.context ?? 'current context');
  let identity = 'the deploy role';
  try {
    // Everything that can be wrong in the repository is checked before the cluster is touched.
    const pin = opts.config.platform.flux.version;
    const syncObjects = await loadSyncObjects(opts.gitopsDir, opts.region);
    const clusterVars = clusterVarsConfigMap(opts.clusterVars);
    const aws: AwsClientFactory | undefined = opts.access.aws;
    if (opts.gitCredentialSecretId && !aws) {
      throw new ConfigurationError(
        'a Git credential secret is named but no AWS client factory was given to read it from Secrets Manager',
      );
    }

    const conn = await connectCluster(opts.access, opts.region, log, now);
    identity = conn.identity;
    const client = conn.client;
    const apply = async (obj: KubeObject): Promise<void> => {
      const result = await client.apply(obj);
      const entry = {
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace ?? '',
        result,
      };
      report.applied.push(entry);
      if (result !== 'unchanged') log.info(`${describeRef(entry)} ${result}`);
    };

    await log.group(`Flux on ${conn.label}`, async () => {
      const presence = await detectFlux(client);
      if (!presence.installed) {
        log.info(`Flux is not installed: installing ${pin} (flux install --export)`);
        const objects = await renderFluxInstall(opts.fluxCli ?? 'flux', pin);
        for (const obj of objects) await apply(obj);
        // The API serves the Flux groups only once the CRDs exist; discovery must be asked again.
        client.resetDiscovery();
        report.fluxInstalled = true;
        report.fluxVersion = pin;
      } else {
        report.fluxVersion = presence.version;
        report.drift = fluxDrift(presence, pin);
        if (report.drift) log.warn(report.drift);
        if (presence.missingSettings.length > 0) {
          report.missingFluxSettings = presence.missingSettings;
          for (const m of presence.missingSettings) {
            log.warn(
              `${m}. apply-region does not change a running Flux: reinstall it with these settings (see README, Threat model)`,
            );
          }
        } else log.info(`Flux ${presence.version ?? ''} is installed (pinned ${pin})`);
      }
    });

    await log.group('Sync objects, Git credential and cluster-vars', async () => {
      if (opts.gitCredentialSecretId && aws) {
        // The operators keep the secrets in the hub region (gitops/README.md).
        await apply(
          await gitCredentialSecret(aws, opts.config.platform.hubRegion, opts.gitCredentialSecretId, log),
        );
      }
      await apply(clusterVars);
      for (const obj of syncObjects) {
        // A CRD created a moment ago may not be served yet.
        await withRetry(() => apply(obj), {
          label: `apply ${describeRef({ kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace })}`,
          attempts: 6,
          baseDelayMs: 1000,
          sleep,
          retryable: (err) =>
            err instanceof KubeApiError &&
            (err.status === 404 || /Unrecognized API version/.test(err.message)),
          onRetry: () => client.resetDiscovery(),
        });
      }
      const unchanged = report.applied.filter((a) => a.result === 'unchanged').length;
      if (unchanged > 0) log.info(`${unchanged} object(s) unchanged`);
    });

    const requestedAt = new Date(now()).toISOString();
    const wait = await log.group('Waiting for Flux', async () => {
      await requestReconcile(client, requestedAt);
      log.info(`reconcile requested at ${requestedAt}`);
      const watch = new FluxWatch(client, log);
      watch.start();
      try {
        return await waitForFlux({
          client,
          requestedAt,
          timeoutMs: Math.max(0, opts.timeoutMs - (now() - started)),
          pollMs: opts.pollMs ?? 10_000,
          logger: log,
          sleep,
          now,
          wake: () => watch.changed(),
        });
      } finally {
        watch.stop();
      }
    });
    report.notReady = wait.states
      .filter((s) => !s.ready)
      .map(({ kind, name, namespace, message }) => ({ kind, name, namespace, message }));
    if (wait.ready) {
      report.status = 'ready';
    } else {
      report.status = 'failed';
      report.reason =
        report.notReady.length > 0
          ? `not Ready after ${Math.round(opts.timeoutMs / 1000)} s: ${report.notReady.map((s) => `${describeRef(s)}: ${s.message}`).join('; ')}`
          : `could not read the Flux objects within ${Math.round(opts.timeoutMs / 1000)} s`;
      log.error(report.reason);
    }
  } catch (err) {
    report.status = 'failed';
    report.reason = failureReason(err, clusterName, identity, opts.access.mode);
    log.error(report.reason);
  }
  report.durationMs = now() - started;
  return report;
}

function failureReason(
  err: unknown,
  clusterName: string,
  identity: string,
  mode: ClusterAccess['mode'],
): string {
  if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) {
    if (mode === 'eks') {
      return `the deploy role has no access to cluster ${clusterName}: the EKS access entry for ${identity} (declared in stacks/eks.yaml, DeployRoleArn) is missing or lacks the cluster-admin access policy (HTTP ${err.status}: ${err.message})`;
    }
    return `${identity} has no access to cluster ${clusterName} (HTTP ${err.status}: ${err.message}): it needs cluster-admin`;
  }
  return errorMessage(err);
}
