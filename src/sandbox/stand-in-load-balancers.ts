import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { CLUSTER_TAG, SERVICE_STACK_TAG } from '../aws/elbv2/find-load-balancer.js';
import type { AwsClientFactory } from '../aws/client-factory.js';
import type { GitopsConfig } from '../gitops/types.js';

export interface StandInLoadBalancer {
  region: string;
  arn: string;
  dnsName: string;
}

/**
 * Register, in the emulator's ELBv2, the NLB the AWS Load Balancer Controller would create for the
 * Coder Service once the cluster runs, with the controller's tags, so apply-region finds it the way it
 * does in AWS. Idempotent: an existing one is returned.
 */
export async function registerStandInLoadBalancer(
  aws: AwsClientFactory,
  config: GitopsConfig,
  region: string,
): Promise<StandInLoadBalancer> {
  const elbv2 = aws.elbv2(region);
  const name =
    `k8s-${config.platform.loadBalancer.serviceNamespace}-${config.platform.loadBalancer.serviceName}-sbx`.slice(
      0,
      32,
    );
  const existing = await elbv2
    .send(new DescribeLoadBalancersCommand({ Names: [name] }))
    .catch(() => undefined);
  const found = existing?.LoadBalancers?.[0];
  if (found?.LoadBalancerArn && found.DNSName)
    return { region, arn: found.LoadBalancerArn, dnsName: found.DNSName };
  // moto wants subnets for a load balancer; a small VPC of the sandbox's own stands in for the public subnets.
  const ec2 = aws.ec2(region);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '192.168.0.0/24' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc!.VpcId!,
      CidrBlock: '192.168.0.0/26',
      AvailabilityZone: `${region}a`,
    }),
  );
  const out = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Type: 'network',
      Scheme: 'internet-facing',
      Subnets: [subnet.Subnet!.SubnetId!],
      Tags: [
        {
          Key: SERVICE_STACK_TAG,
          Value: `${config.platform.loadBalancer.serviceNamespace}/${config.platform.loadBalancer.serviceName}`,
        },
        { Key: CLUSTER_TAG, Value: `${config.platform.project}-${region}` },
        { Key: 'service.k8s.aws/resource', Value: 'LoadBalancer' },
      ],
    }),
  );
  const lb = out.LoadBalancers![0]!;
  return { region, arn: lb.LoadBalancerArn!, dnsName: lb.DNSName! };
}
