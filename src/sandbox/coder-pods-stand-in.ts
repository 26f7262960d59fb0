import { randomUUID } from 'node:crypto';
import type { ClusterStep } from '../apply/apply-engine.js';
import { proxyNameFor } from '../apply/coder-proxy-step.js';
import { primaryUrlFor } from '../apply/coder-region-step.js';
import { provisionerKeyFor } from '../apply/provisioner-key-step.js';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { readSecretIfExists } from '../aws/secrets/secret-store.js';
import { CoderClient, loadCoderCa, PROXY_TOKEN_HEADER } from '../coder/coder-client.js';
import { coderSecretNames } from '../coder/coder-secret-names.js';
import { decodeSecretField } from '../coder/coder-secret-values.js';
import { skippedClusterReport } from '../cluster/ensure-cluster.js';
import { errorMessage } from '../util/errors.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';

export interface CoderPodsOptions {
  /** Reads what External Secrets would read in the cluster (the sandbox's administrator: IRSA's stand-in). */
  aws: AwsClientFactory;
  caFile: string;
  resolve: readonly ResolveOverride[];
  /** The version each region's Coder runs (what its stand-in reports). */
  versionOf: (region: string) => string;
  /**
   * The chart version the region's Coder HelmRelease would get from the cluster-vars apply-region writes
   * (`coder_version`): the pods run it, so the region's stand-in reports it from then on.
   */
  onCoderVersion?: (region: string, chartVersion: string) => void;
}

/**
 * The sandbox's cluster step: no Kubernetes API runs here, so instead of Flux it plays the two Coder
 * pods whose start proves the stored credentials work. A proxy region's `coder wsproxy` reads its token
 * from that region's Secrets Manager (as External Secrets would) and registers with the primary
 * (POST /api/v2/workspaceproxies/me/register with Coder-External-Proxy-Token); a region's provisioner
 * reads its key and connects with it. Reported as not run (the cluster step itself did not run).
 */
export function coderPodsStandIn(opts: CoderPodsOptions): ClusterStep {
  return async ({ region, config, logger, clusterVars }) => {
    if (clusterVars.coder_version) opts.onCoderVersion?.(region, clusterVars.coder_version);
    const regionConfig = config.regions.find((r) => r.name === region);
    const names = coderSecretNames(config.platform.project);
    const played: string[] = [];
    try {
      const client = new CoderClient({
        baseUrl: primaryUrlFor(config),
        // The pods do not hold the owner token: each call below carries its own credential.
        sessionToken: '',
        ca: await loadCoderCa(opts.caFile),
        resolve: opts.resolve,
      });
      if (regionConfig?.coder === 'proxy') {
        // As the ExternalSecret reads it: `property: token`.
        const raw = await readSecretIfExists(opts.aws, region, names.proxyToken);
        const token = raw && decodeSecretField(raw, 'token', `${names.proxyToken} in ${region}`);
        if (!token) throw new Error(`${names.proxyToken} is missing in ${region}: the proxy cannot start`);
        logger.setSecret(token);
        await client.request(
          'POST',
          '/api/v2/workspaceproxies/me/register',
          [201],
          {
            access_url: `https://${region}.${config.platform.domain}`,
            wildcard_hostname: `*.${region}.${config.platform.domain}`,
            derp_enabled: true,
            derp_only: false,
            replica_id: randomUUID(),
            hostname: `coder-wsproxy-${region}`,
            replica_error: '',
            replica_relay_address: '',
            version: opts.versionOf(region),
          },
          { [PROXY_TOKEN_HEADER]: token },
        );
        played.push(`workspace proxy ${proxyNameFor(region)} registered with its stored token`);
      }
      const rawKey = await readSecretIfExists(opts.aws, region, names.provisionerKey);
      const key = rawKey && decodeSecretField(rawKey, 'key', `${names.provisionerKey} in ${region}`);
      if (key) {
        logger.setSecret(key);
        await client.request(
          'GET',
          `/api/v2/organizations/default/provisionerdaemons/serve?name=${encodeURIComponent(`provisioner-${region}`)}`,
          [200],
          undefined,
          { 'Coder-Provisioner-Daemon-Key': key },
        );
        played.push(`provisioner ${provisionerKeyFor(region).name} connected with its stored key`);
      }
    } catch (err) {
      return {
        ...skippedClusterReport(''),
        status: 'failed',
        reason: `the sandbox's Coder pods: ${errorMessage(err)}`,
      };
    }
    return skippedClusterReport(
      `not run: no Kubernetes API in the sandbox${played.length ? `; it played Coder's pods instead: ${played.join(', ')}` : ''}`,
    );
  };
}
