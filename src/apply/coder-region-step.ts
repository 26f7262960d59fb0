import type { AwsClientFactory } from '../aws/client-factory.js';
import { readSecretIfExists } from '../aws/secrets/secret-store.js';
import { CoderClient, loadCoderCa } from '../coder/coder-client.js';
import { coderSecretNames } from '../coder/coder-secret-names.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';
import { ensureCoderLicense, type LicenseStepReport } from './coder-license-step.js';
import { ensureWorkspaceProxy, type ProxyStepReport } from './coder-proxy-step.js';
import { ensureProvisionerKey, type ProvisionerKeyReport } from './provisioner-key-step.js';
import { runCoderChecks } from '../verify/coder-check.js';

/** What the Coder API side did for a region (never a token, key or licence). */
export interface CoderRegionReport {
  status: 'ok' | 'failed' | 'skipped';
  /** `https://<hub>.<domain>`: where the primary was reached. */
  primaryUrl?: string;
  license?: LicenseStepReport;
  /** The promotion gate: Coder's view of this region (proxy health and version, health report, provisioner). */
  gate?: { status: 'pass' | 'fail'; checks: { target: string; status: string; summary: string }[] };
  proxy?: ProxyStepReport;
  provisionerKey?: ProvisionerKeyReport;
  reason?: string;
}

/**
 * Where the engine runs it: a proxy's registration before its cluster step (its chart needs the token),
 * the primary's licence and keys after its cluster is Ready, and the promotion gate before DNS.
 */
export type CoderPhase = 'before-cluster' | 'after-cluster' | 'before-dns';

export type CoderStep = (input: {
  config: GitopsConfig;
  region: RegionConfig;
  phase: CoderPhase;
  aws: AwsClientFactory;
  logger: Logger;
}) => Promise<CoderRegionReport | undefined>;

export interface CoderAccess {
  /** Extra CA (PEM file) trusted besides Node's store. */
  caFile?: string;
  resolve?: readonly ResolveOverride[];
  timeoutMs?: number;
}

/** The phase a region's Coder work belongs to. */
export function coderPhaseOf(region: RegionConfig): CoderPhase {
  return region.coder === 'proxy' ? 'before-cluster' : 'after-cluster';
}

/** The owner token is not there yet: an operator creates it once the primary's Coder runs. */
export class MissingOwnerTokenError extends Error {
  override name = 'MissingOwnerTokenError';
}

/** The primary's URL: its own regional name, as the apex may not route to it yet. */
export function primaryUrlFor(config: GitopsConfig): string {
  return `https://${config.platform.hubRegion}.${config.platform.domain}`;
}

/** A client for the primary with the owner token from the hub's Secrets Manager (masked at once). */
export async function openPrimaryClient(
  config: GitopsConfig,
  aws: AwsClientFactory,
  access: CoderAccess,
  logger: Logger,
): Promise<CoderClient> {
  const hub = config.platform.hubRegion;
  const secretName = coderSecretNames(config.platform.project).ownerToken;
  const token = (await readSecretIfExists(aws, hub, secretName))?.trim();
  if (!token) {
    throw new MissingOwnerTokenError(
      `${secretName} does not exist in ${hub} (or is empty): an operator creates it once with an owner's token (gitops/README.md: coder tokens create --lifetime 8760h, then aws secretsmanager create-secret --region ${hub} --name ${secretName} --secret-string …)`,
    );
  }
  logger.setSecret(token);
  return new CoderClient({
    baseUrl: primaryUrlFor(config),
    sessionToken: token,
    ca: await loadCoderCa(access.caFile),
    resolve: access.resolve,
    timeoutMs: access.timeoutMs,
  });
}

/**
 * The Coder API side of apply-region for one region and phase: for the primary (after its cluster is
 * Ready) the licence and its provisioner key; for a proxy (before its cluster step, the primary being up
 * from an earlier wave) its registration with the primary and its provisioner key; for a replica its
 * provisioner key. Never throws: the report says what failed.
 */
export function coderStepFor(access: CoderAccess): CoderStep {
  return async ({ config, region, phase, aws, logger }) => {
    if (phase === 'before-dns') return coderGate(config, region, aws, access, logger);
    if (phase !== coderPhaseOf(region)) return undefined;
    const report: CoderRegionReport = { status: 'ok', primaryUrl: primaryUrlFor(config) };
    let client: CoderClient;
    try {
      client = await openPrimaryClient(config, aws, access, logger);
      const info = await client.buildInfo();
      logger.info(`Coder primary ${report.primaryUrl} answers (${info.version})`);
    } catch (err) {
      // The first rollout: Coder must run (and DNS point at it) before anyone can make an owner token.
      if (err instanceof MissingOwnerTokenError && region.coder === 'primary') {
        const reason = `not run yet: ${err.message}; until then no licence is installed and no proxy can be registered`;
        logger.warn(reason);
        return { ...report, status: 'skipped', reason };
      }
      return {
        ...report,
        status: 'failed',
        reason: `the Coder primary could not be reached: ${errorMessage(err)}`,
      };
    }
    const input = { config, region, client, aws, logger };
    if (region.coder === 'primary') report.license = await ensureCoderLicense(input);
    if (region.coder === 'proxy') report.proxy = await ensureWorkspaceProxy(input);
    report.provisionerKey = await ensureProvisionerKey(input);
    const failures = [
      report.license?.result === 'failed' ? report.license.message : undefined,
      report.proxy?.result === 'failed' ? report.proxy.message : undefined,
      report.provisionerKey.result === 'failed' ? report.provisionerKey.message : undefined,
    ].filter((m): m is string => !!m);
    if (failures.length) {
      report.status = 'failed';
      report.reason = failures.join('; ');
    }
    return report;
  };
}

/**
 * The promotion gate: a region enters latency routing only when Coder itself says it can serve — its
 * proxy registered and healthy (a proxy region), Coder's health report without errors (the proxies'
 * section is left to each proxy's own gate, so one broken proxy does not hold the primary), and its
 * provisioner key present. Degraded findings (no daemon yet, a version skew) are reported, not blocking.
 */
async function coderGate(
  config: GitopsConfig,
  region: RegionConfig,
  aws: AwsClientFactory,
  access: CoderAccess,
  logger: Logger,
): Promise<CoderRegionReport> {
  const report: CoderRegionReport = { status: 'ok', primaryUrl: primaryUrlFor(config) };
  let client: CoderClient;
  try {
    client = await openPrimaryClient(config, aws, access, logger);
  } catch (err) {
    if (err instanceof MissingOwnerTokenError && region.coder === 'primary') {
      return { ...report, status: 'skipped', reason: `gate not run: ${err.message}` };
    }
    return { ...report, status: 'failed', reason: `not promoted: ${errorMessage(err)}` };
  }
  const results = await runCoderChecks(
    client,
    config,
    [region],
    region.coder === 'proxy' ? [] : ['workspace_proxy'],
  );
  const checks = results.map((r) => ({ target: r.target, status: r.status, summary: r.summary }));
  for (const c of checks) logger.info(`${c.status.toUpperCase().padEnd(8)} ${c.target}: ${c.summary}`);
  const failing = results.filter((r) => r.status === 'fail');
  report.gate = { status: failing.length ? 'fail' : 'pass', checks };
  if (failing.length) {
    report.status = 'failed';
    report.reason = `not promoted: Coder says ${failing.map((r) => `${r.target}: ${r.summary}`).join('; ')}`;
  }
  return report;
}
