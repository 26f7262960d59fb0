import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { wrapAwsError } from '../../util/errors.js';
import { withRetry } from '../../util/retry.js';

/** Tag the AWS Load Balancer Controller puts on the load balancer of a Service: `<namespace>/<name>`. */
export const SERVICE_STACK_TAG = 'service.k8s.aws/stack';
/** Tag naming the cluster whose controller made the load balancer. */
export const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';

export interface FoundLoadBalancer {
  arn: string;
  name: string;
  dnsName: string;
  /** The load balancer's own hosted zone (the alias target's HostedZoneId). */
  canonicalHostedZoneId: string;
  state?: string;
}

export interface FindLoadBalancerOptions {
  clusterName: string;
  serviceNamespace: string;
  serviceName: string;
  sleep?: (ms: number) => Promise<void>;
}

/** The region's NLB for the Service, found by the controller's tags; undefined when there is none yet. */
export async function findServiceLoadBalancer(
  elbv2: ElasticLoadBalancingV2Client,
  opts: FindLoadBalancerOptions,
): Promise<FoundLoadBalancer | undefined> {
  const wantStack = `${opts.serviceNamespace}/${opts.serviceName}`;
  const nlbs: LoadBalancer[] = [];
  let marker: string | undefined;
  try {
    do {
      const out = await withRetry(() => elbv2.send(new DescribeLoadBalancersCommand({ Marker: marker })), {
        label: 'DescribeLoadBalancers',
        sleep: opts.sleep,
      });
      nlbs.push(...(out.LoadBalancers ?? []).filter((lb) => lb.Type === 'network' && lb.LoadBalancerArn));
      marker = out.NextMarker;
    } while (marker);
    // DescribeTags takes at most 20 ARNs per call.
    for (let i = 0; i < nlbs.length; i += 20) {
      const batch = nlbs.slice(i, i + 20);
      const out = await withRetry(
        () => elbv2.send(new DescribeTagsCommand({ ResourceArns: batch.map((lb) => lb.LoadBalancerArn!) })),
        { label: 'DescribeTags', sleep: opts.sleep },
      );
      for (const desc of out.TagDescriptions ?? []) {
        const tags = new Map((desc.Tags ?? []).map((t) => [t.Key, t.Value]));
        if (tags.get(SERVICE_STACK_TAG) !== wantStack || tags.get(CLUSTER_TAG) !== opts.clusterName) continue;
        const lb = batch.find((b) => b.LoadBalancerArn === desc.ResourceArn);
        if (!lb?.DNSName || !lb.CanonicalHostedZoneId) continue;
        return {
          arn: lb.LoadBalancerArn!,
          name: lb.LoadBalancerName ?? '',
          dnsName: lb.DNSName,
          canonicalHostedZoneId: lb.CanonicalHostedZoneId,
          state: lb.State?.Code,
        };
      }
    }
  } catch (err) {
    throw wrapAwsError(
      `could not look for the load balancer of ${wantStack} in cluster ${opts.clusterName}`,
      err,
    );
  }
  return undefined;
}
