import type { ClusterStep } from '../apply/apply-engine.js';
import { ensureCluster, type ClusterAccess } from './ensure-cluster.js';

/** Outputs of the eks stack that carry the cluster's endpoint and CA (gitops/stacks/eks.yaml). */
const ENDPOINT_OUTPUT = 'ClusterEndpoint';
const CA_OUTPUT = 'ClusterCertificateAuthority';

export interface ClusterStepOptions {
  /** Path of the flux CLI (default `flux`). */
  fluxCli?: string;
  /** Secrets Manager id of Flux's Git credential; none = no Secret written (a public repository). */
  gitCredentialSecretId?: string;
  /** For `cluster: kubeconfig`: the file (the action passes $KUBECONFIG) and optionally a context. */
  kubeconfigPath?: string;
  kubeconfigContext?: string;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * The apply engine's cluster step backed by {@link ensureCluster}: the endpoint and CA come from the
 * eks stack's outputs when the stack reports them, else from DescribeCluster.
 */
export function makeClusterStep(opts: ClusterStepOptions = {}): ClusterStep {
  return async (input) => {
    let access: ClusterAccess;
    if (input.mode === 'kubeconfig') {
      if (!opts.kubeconfigPath) {
        return {
          status: 'failed',
          fluxInstalled: false,
          applied: [],
          notReady: [],
          reason: 'cluster: kubeconfig needs a kubeconfig file (KUBECONFIG is not set)',
          durationMs: 0,
        };
      }
      access = {
        mode: 'kubeconfig',
        kubeconfigPath: opts.kubeconfigPath,
        context: opts.kubeconfigContext,
        aws: input.aws,
      };
    } else {
      const outputs = Object.values(input.stackOutputs).find((o) => o[ENDPOINT_OUTPUT] && o[CA_OUTPUT]);
      access = {
        mode: 'eks',
        clusterName: input.clusterName,
        endpoint: outputs?.[ENDPOINT_OUTPUT],
        caData: outputs?.[CA_OUTPUT],
        aws: input.aws,
      };
    }
    return ensureCluster({
      region: input.region,
      gitopsDir: input.gitopsDir,
      config: input.config,
      access,
      clusterVars: input.clusterVars,
      fluxCli: opts.fluxCli,
      gitCredentialSecretId: opts.gitCredentialSecretId,
      timeoutMs: input.timeoutMs,
      pollMs: opts.pollMs,
      logger: input.logger,
      sleep: opts.sleep,
      now: opts.now,
    });
  };
}
