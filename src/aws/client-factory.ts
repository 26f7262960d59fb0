import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

export const USER_AGENT = 'coder-gitops/0.1.0';

export interface ClientFactoryOptions {
  /** Credentials for every client; undefined = the SDK's default chain (environment, profile). */
  credentials?: AwsCredentialIdentityProvider;
  /** SDK attempts per call including the first (adaptive retry for throttling). Default 5. */
  maxAttempts?: number;
}

type Ctor<C> = new (config: {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  maxAttempts?: number;
  retryMode?: string;
  customUserAgent?: string;
}) => C;

interface Countable {
  middlewareStack: {
    add: (
      mw: (
        next: (a: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (a: unknown) => Promise<unknown>,
      opts: object,
    ) => void;
  };
}

/**
 * The one place AWS clients are made: region, credentials, retries and user agent, one client per
 * service and region, and a count of API calls (for reports and benchmarks).
 */
export class AwsClientFactory {
  private readonly cache = new Map<string, unknown>();
  /** API calls made, by `Service.Operation`. */
  readonly calls = new Map<string, number>();
  constructor(private readonly opts: ClientFactoryOptions = {}) {}

  get credentials(): AwsCredentialIdentityProvider | undefined {
    return this.opts.credentials;
  }

  private make<C>(service: string, ctor: Ctor<C>, region: string): C {
    const key = `${service}:${region}`;
    const hit = this.cache.get(key);
    if (hit) return hit as C;
    const client = new ctor({
      region,
      credentials: this.opts.credentials,
      maxAttempts: this.opts.maxAttempts ?? 5,
      retryMode: 'adaptive',
      customUserAgent: USER_AGENT,
    });
    this.instrument(service, client as unknown as Countable);
    this.cache.set(key, client);
    return client;
  }

  private instrument(service: string, client: Countable): void {
    const calls = this.calls;
    // Counted per logical call (the SDK's own retries are not separate calls).
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const op = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        calls.set(op, (calls.get(op) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'coderGitopsCallCounter' },
    );
  }

  /** Total API calls made through this factory. */
  totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  cloudFormation(region: string): CloudFormationClient {
    return this.make('CloudFormation', CloudFormationClient, region);
  }
  route53(): Route53Client {
    // Route 53 is global; its API lives in us-east-1.
    return this.make('Route53', Route53Client, 'us-east-1');
  }
  sts(region: string): STSClient {
    return this.make('STS', STSClient, region);
  }
  rds(region: string): RDSClient {
    return this.make('RDS', RDSClient, region);
  }
  cloudWatch(region: string): CloudWatchClient {
    return this.make('CloudWatch', CloudWatchClient, region);
  }
  elbv2(region: string): ElasticLoadBalancingV2Client {
    return this.make('ELBv2', ElasticLoadBalancingV2Client, region);
  }
  secretsManager(region: string): SecretsManagerClient {
    return this.make('SecretsManager', SecretsManagerClient, region);
  }
  ec2(region: string): EC2Client {
    return this.make('EC2', EC2Client, region);
  }
  eks(region: string): EKSClient {
    return this.make('EKS', EKSClient, region);
  }
}
