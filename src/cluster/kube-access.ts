import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { KubeConfig, type User } from '@kubernetes/client-node';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { ConfigurationError, errorMessage, wrapAwsError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { EksTokenProvider } from './eks-token.js';
import { KubeClient } from './kube-client.js';

/** How the cluster step reaches a cluster. */
export type ClusterAccess =
  | {
      mode: 'eks';
      /** The endpoint and CA are always asked of eks:DescribeCluster for this name. */
      clusterName: string;
      aws: AwsClientFactory;
    }
  | {
      mode: 'kubeconfig';
      kubeconfigPath: string;
      context?: string;
      /** For the Git credential in Secrets Manager, when one is named. */
      aws?: AwsClientFactory;
    };

export interface ConnectedCluster {
  client: KubeClient;
  /** Who we are to the cluster, for the access-denied message (role ARN for EKS). */
  identity: string;
  /** `cluster <name>` for messages. */
  label: string;
}

const AUTH_PROVIDER = 'coder-gitops-eks-token';

/** Connect to the cluster: an EKS bearer token (refreshed before it expires) or a kubeconfig file. */
export async function connectCluster(
  access: ClusterAccess,
  region: string,
  logger: Logger,
  now: () => number = Date.now,
): Promise<ConnectedCluster> {
  if (access.mode === 'kubeconfig') return connectKubeconfig(access);
  // Where the token goes and which CA we trust come from EKS itself, asked with the deploy role's credentials:
  // nothing a pull request can write (stack outputs, gitops/ files) chooses them.
  let endpoint: string | undefined;
  let caData: string | undefined;
  try {
    const out = await access.aws.eks(region).send(new DescribeClusterCommand({ name: access.clusterName }));
    endpoint = out.cluster?.endpoint;
    caData = out.cluster?.certificateAuthority?.data;
  } catch (err) {
    throw wrapAwsError(`could not describe EKS cluster ${access.clusterName} in ${region}`, err);
  }
  if (!endpoint || !caData) {
    throw new Error(
      `EKS cluster ${access.clusterName} in ${region} has no endpoint or certificate authority yet (is it still creating?)`,
    );
  }
  const sts = access.aws.sts(region);
  const credentials = async (): Promise<AwsCredentialIdentity> => {
    const provider = sts.config.credentials as unknown as () => Promise<AwsCredentialIdentity>;
    return provider();
  };
  const tokens = new EksTokenProvider(access.clusterName, region, credentials, now, undefined, (t) =>
    logger.setSecret(t),
  );
  const kc = new KubeConfig();
  const user: User = { name: 'coder-gitops', authProvider: { name: AUTH_PROVIDER } };
  kc.loadFromOptions({
    clusters: [{ name: access.clusterName, server: endpoint, caData, skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: access.clusterName, cluster: access.clusterName, user: user.name }],
    currentContext: access.clusterName,
  });
  kc.addAuthenticator({
    isAuthProvider: (u: User) => (u.authProvider as { name?: string } | undefined)?.name === AUTH_PROVIDER,
    applyAuthentication: async (_u, opts) => {
      const token = await tokens.token();
      opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer ${token}` };
    },
  });
  const label = `cluster ${access.clusterName} (${endpoint})`;
  return { client: new KubeClient(kc, label), identity: await callerRoleArn(access.aws, region), label };
}

function connectKubeconfig(access: Extract<ClusterAccess, { mode: 'kubeconfig' }>): ConnectedCluster {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(access.kubeconfigPath);
  } catch (err) {
    throw new ConfigurationError(`cannot read the kubeconfig: ${errorMessage(err)}`, {
      file: access.kubeconfigPath,
    });
  }
  if (access.context) {
    if (!kc.getContextObject(access.context)) {
      throw new ConfigurationError(
        `context '${access.context}' is not in the kubeconfig (it has: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
        { file: access.kubeconfigPath, path: 'contexts' },
      );
    }
    kc.setCurrentContext(access.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ConfigurationError('the kubeconfig has no current context with a cluster', {
      file: access.kubeconfigPath,
      path: 'current-context',
    });
  }
  const label = `cluster ${kc.getCurrentContext()} (${cluster.server})`;
  return {
    client: new KubeClient(kc, label),
    identity: `the kubeconfig user ${kc.getCurrentUser()?.name ?? ''}`,
    label,
  };
}

/**
 * The IAM role behind our credentials (`arn:aws:iam::<account>:role/<name>`), which is what an EKS
 * access entry names; a description when STS cannot say.
 */
async function callerRoleArn(aws: AwsClientFactory, region: string): Promise<string> {
  try {
    const id = await aws.sts(region).send(new GetCallerIdentityCommand({}));
    const arn = id.Arn ?? '';
    const m = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
    return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn || 'the deploy role';
  } catch {
    return 'the deploy role';
  }
}
