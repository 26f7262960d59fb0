import { ensureCluster, skippedClusterReport } from '../cluster/ensure-cluster.js';
import type { ClusterStep } from './apply-engine.js';

export interface ClusterStepSettings {
  /** Path of the flux CLI used to install Flux where it is missing. */
  fluxCli?: string;
  /** KUBECONFIG, for `cluster: kubeconfig`. */
  kubeconfig?: string;
  /** Secrets Manager id of Flux's Git credential (default `<project>/flux-system/git-credentials`, see gitops/README.md). */
  gitCredentialSecretId?: string;
}

/**
 * The cluster step apply-region runs after a region's stacks: `eks` reaches the cluster `<project>-<region>`
 * with an EKS token from the deploy role, its endpoint and CA from eks:DescribeCluster (never from stack
 * outputs: a reviewed change to an output must not send the token and Flux's Git credential elsewhere);
 * `kubeconfig` uses the given file; `skip` returns undefined (reported as not run).
 */
export function clusterStepFor(
  mode: 'eks' | 'kubeconfig' | 'skip',
  settings: ClusterStepSettings,
): ClusterStep | undefined {
  if (mode === 'skip') return undefined;
  return async (input) => {
    if (input.mode === 'kubeconfig' && !settings.kubeconfig) {
      return skippedClusterReport('cluster: kubeconfig needs KUBECONFIG set to a kubeconfig file');
    }
    return ensureCluster({
      region: input.region,
      gitopsDir: input.gitopsDir,
      config: input.config,
      access:
        input.mode === 'kubeconfig'
          ? { mode: 'kubeconfig', kubeconfigPath: settings.kubeconfig!, aws: input.aws }
          : {
              mode: 'eks',
              clusterName: input.clusterName,
              aws: input.aws,
            },
      clusterVars: input.clusterVars,
      fluxCli: settings.fluxCli,
      gitCredentialSecretId:
        settings.gitCredentialSecretId ?? `${input.config.platform.project}/flux-system/git-credentials`,
      timeoutMs: input.timeoutMs,
      logger: input.logger,
    });
  };
}
