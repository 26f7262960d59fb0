/**
 * How long real AWS takes, in one table: the plan's rollout estimate and the bench's emulator both
 * read it, so they cannot disagree. Every figure names its source next to it. `measured:` is a
 * published run (a Terraform or CloudFormation log in a public issue, a public measurement); `docs:`
 * is AWS documentation; `assumption:` means no published figure was found and says what the number
 * rests on. Terraform logs time the same service calls and waits CloudFormation makes per resource.
 * Figures are typical durations, not limits: AWS varies run to run and region to region.
 */

/** One modeled duration and where it comes from. */
export interface TimingFigure {
  seconds: number;
  source: string;
}

/** What CloudFormation does to a resource. */
export type ResourceOperation = 'create' | 'update' | 'delete';

export type ResourceTiming = Record<ResourceOperation, TimingFigure>;

const ASSUMED_QUICK =
  'assumption: a single control-plane call CloudFormation does not stabilise for long; no published figure found';

function quick(create: number, update = create, del = create): ResourceTiming {
  return {
    create: { seconds: create, source: ASSUMED_QUICK },
    update: { seconds: update, source: ASSUMED_QUICK },
    delete: { seconds: del, source: ASSUMED_QUICK },
  };
}

/**
 * A round trip of one API call from a runner to a regional endpoint. Bench and estimate add it per
 * call; it is small next to the resource durations.
 */
export const ROUND_TRIP: TimingFigure = {
  seconds: 0.05,
  source:
    'assumption: one HTTPS request to a regional AWS endpoint from a runner on the same continent (tens of ms); AWS publishes no API latency figure',
};

/** CreateChangeSet until CREATE_COMPLETE (CloudFormation computing the changes). */
export const CHANGE_SET_CREATE: TimingFigure = {
  seconds: 20,
  source:
    'measured: usually under 30 s, sometimes longer (acquia/moonshot#213 "AWS sometimes fails to create a changeset in 30 seconds"; cloudtools/stacker#389 "up to a minute" for a VPN stack)',
};

/** Stack-level work CloudFormation does around the resources of one execution (start and final state). */
export const STACK_OVERHEAD: TimingFigure = {
  seconds: 5,
  source:
    'assumption: the stack-level IN_PROGRESS and COMPLETE events usually lie a few seconds outside the first and last resource events',
};

/** Durations per resource type for every type used under gitops/stacks (a test checks that none is missing). */
export const RESOURCE_TIMINGS: Record<string, ResourceTiming> = {
  'AWS::EC2::VPC': {
    create: {
      seconds: 22,
      source:
        'measured: "aws_vpc.default: Creation complete after 22s" (DevopsArtFactory/terraform-provisioning#7, Terraform apply log)',
    },
    update: { seconds: 5, source: ASSUMED_QUICK },
    delete: { seconds: 10, source: ASSUMED_QUICK },
  },
  'AWS::EC2::InternetGateway': {
    create: {
      seconds: 1,
      source:
        'measured: "aws_internet_gateway.default: Creation complete after 1s" (DevopsArtFactory/terraform-provisioning#7)',
    },
    update: { seconds: 1, source: ASSUMED_QUICK },
    delete: { seconds: 5, source: ASSUMED_QUICK },
  },
  'AWS::EC2::RouteTable': {
    create: {
      seconds: 1,
      source:
        'measured: "aws_route_table.public: Creation complete after 1s" (DevopsArtFactory/terraform-provisioning#7)',
    },
    update: { seconds: 1, source: ASSUMED_QUICK },
    delete: { seconds: 2, source: ASSUMED_QUICK },
  },
  'AWS::EC2::VPCGatewayAttachment': {
    create: {
      seconds: 15,
      source:
        'assumption: CloudFormation waits for the attachment to be available; no published figure found',
    },
    update: { seconds: 15, source: ASSUMED_QUICK },
    delete: { seconds: 15, source: ASSUMED_QUICK },
  },
  'AWS::EC2::Subnet': quick(5, 2, 5),
  'AWS::EC2::Route': quick(2),
  'AWS::EC2::SubnetRouteTableAssociation': quick(2),
  'AWS::EC2::SecurityGroup': quick(3, 2, 5),
  'AWS::EC2::SecurityGroupIngress': quick(2),
  'AWS::EC2::LaunchTemplate': quick(2),
  'AWS::EC2::VPCEndpoint': {
    create: {
      seconds: 90,
      source:
        'assumption: interface endpoints provision an ENI per subnet and wait for "available" (about a minute or two); the gateway endpoint is faster but shares the figure',
    },
    update: { seconds: 30, source: ASSUMED_QUICK },
    delete: { seconds: 60, source: ASSUMED_QUICK },
  },
  'AWS::EC2::VPCPeeringConnection': {
    create: {
      seconds: 15,
      source:
        'assumption: cross-region request in one account, accepted without a person; CloudFormation waits for "active"',
    },
    update: { seconds: 5, source: ASSUMED_QUICK },
    delete: { seconds: 15, source: ASSUMED_QUICK },
  },
  'AWS::EC2::Instance': {
    create: {
      seconds: 45,
      source:
        'assumption: the NAT instance until "running" (CloudFormation waits for running, not for the OS to boot)',
    },
    update: { seconds: 60, source: 'assumption: most property changes stop and start the instance' },
    delete: { seconds: 60, source: 'assumption: until "terminated"' },
  },
  'AWS::EKS::Cluster': {
    create: {
      seconds: 900,
      source:
        'measured: 904.62 s in us-east-2, 899.90 s in us-west-2, 792.85 s in eu-west-2 (easontechtalk.com "Unofficial EKS Cluster Creation Performance across AWS regions"); docs: "typically takes between 10 and 15 minutes" (AWS::EKS::Cluster, CloudFormation User Guide)',
    },
    update: {
      seconds: 600,
      source:
        'assumption: configuration updates (logging, endpoint access) take minutes; a version upgrade takes longer and is not modeled separately',
    },
    delete: { seconds: 300, source: 'assumption: no published figure found' },
  },
  'AWS::EKS::Nodegroup': {
    create: {
      seconds: 120,
      source:
        'measured: "Creation complete after 1m48s" and "after 1m59s" for two managed node groups (DevopsArtFactory/terraform-provisioning#46)',
    },
    update: {
      seconds: 600,
      source: 'assumption: a rolling replacement of the nodes (drain, launch, join) per update',
    },
    delete: { seconds: 300, source: 'assumption: nodes drained and terminated' },
  },
  'AWS::EKS::Addon': {
    create: {
      seconds: 60,
      source:
        'assumption: once nodes exist (the template makes add-ons wait for the node group); without nodes CoreDNS stays CREATING for 13-15 min (terraform-aws-modules/terraform-aws-eks#1765, aws-ia/terraform-aws-eks-blueprints#642)',
    },
    update: { seconds: 60, source: 'assumption: as create' },
    delete: { seconds: 30, source: ASSUMED_QUICK },
  },
  'AWS::EKS::AccessEntry': quick(2),
  'AWS::Events::Rule': quick(2),
  'AWS::IAM::ManagedPolicy': {
    create: {
      seconds: 10,
      source: 'assumption: as AWS::IAM::Role (an IAM call plus CloudFormation waiting for IAM consistency)',
    },
    update: { seconds: 10, source: 'assumption: as create' },
    delete: { seconds: 10, source: 'assumption: as create' },
  },
  'AWS::IAM::Role': {
    create: {
      seconds: 10,
      source:
        'assumption: IAM calls are fast and CloudFormation waits briefly for IAM eventual consistency ("IAM resource creation is fast — the overhead is CloudFormation orchestration", docs.axontechlabs.com performance guide)',
    },
    update: { seconds: 10, source: 'assumption: as create' },
    delete: { seconds: 10, source: 'assumption: as create' },
  },
  'AWS::IAM::InstanceProfile': {
    create: {
      seconds: 120,
      source:
        'measured (AWS forum, quoted in hashicorp/terraform#15341): "a hardcoded 2min delay for creating instance profiles" in CloudFormation',
    },
    update: { seconds: 120, source: 'assumption: as create' },
    delete: { seconds: 10, source: ASSUMED_QUICK },
  },
  'AWS::IAM::OIDCProvider': quick(2),
  'AWS::RDS::DBSubnetGroup': quick(2),
  'AWS::RDS::DBClusterParameterGroup': quick(2),
  'AWS::RDS::DBCluster': {
    create: {
      seconds: 120,
      source:
        'assumption: an empty Aurora cluster (its writer is a separate DBInstance); Terraform allows up to 120 min (cloudposse/terraform-aws-rds-cluster#64)',
    },
    update: { seconds: 60, source: 'assumption: apply-immediately modifications' },
    delete: {
      seconds: 63,
      source:
        'measured: "aws_rds_cluster...: Destruction complete after 1m3s" (tungbq/aws-lab-with-terraform#100)',
    },
  },
  'AWS::RDS::DBInstance': {
    create: {
      seconds: 600,
      source:
        'assumption: an Aurora writer or reader until "available" (commonly 5-15 min); its delete was measured at 11m47s (tungbq/aws-lab-with-terraform#100)',
    },
    update: { seconds: 300, source: 'assumption: a modification with apply-immediately' },
    delete: {
      seconds: 707,
      source:
        'measured: "aws_rds_cluster_instance...: Destruction complete after 11m47s" (tungbq/aws-lab-with-terraform#100)',
    },
  },
  'AWS::Route53::HealthCheck': quick(2),
  'AWS::SQS::Queue': quick(5, 2, 5),
  'AWS::SQS::QueuePolicy': quick(2),
  'AWS::CertificateManager::Certificate': {
    create: {
      seconds: 180,
      source:
        'assumption: DNS validation in a Route 53 zone CloudFormation writes the records to (HostedZoneId): minutes once the CNAME resolves; CloudFormation itself gives up after 12 h (dev.classmethod.jp "CloudFormation ACM 12 hours timeout")',
    },
    update: { seconds: 180, source: 'assumption: most changes replace the certificate' },
    delete: { seconds: 10, source: ASSUMED_QUICK },
  },
};

/** Used for a type missing from the table (a test keeps the table complete for gitops/stacks). */
export const UNKNOWN_TYPE: ResourceTiming = quick(10);

/** The modeled duration of one operation on one resource type, in seconds. */
export function resourceSeconds(type: string, op: ResourceOperation): number {
  return (RESOURCE_TIMINGS[type] ?? UNKNOWN_TYPE)[op].seconds;
}
