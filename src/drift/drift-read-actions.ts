import { parseTemplate } from '../gitops/cfn-yaml.js';

/**
 * CloudFormation reads each resource with the caller's permissions during drift detection: the read
 * handler's permissions per type, from the CloudFormation registry's resource schemas
 * (`handlers.read.permissions`, e.g. aws-cloudformation/aws-cloudformation-resource-providers-ec2,
 * `aws cloudformation describe-type --type RESOURCE --type-name <type>`). A type missing here fails
 * {@link driftReadActions}' caller (the test), so a new type in gitops/stacks cannot be forgotten.
 */
export const DRIFT_READ_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'AWS::CertificateManager::Certificate': ['acm:DescribeCertificate', 'acm:ListTagsForCertificate'],
  'AWS::EC2::Instance': ['ec2:DescribeInstances', 'ec2:DescribeInstanceAttribute', 'ec2:DescribeVolumes'],
  'AWS::EC2::InternetGateway': ['ec2:DescribeInternetGateways'],
  'AWS::EC2::LaunchTemplate': ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
  'AWS::EC2::Route': ['ec2:DescribeRouteTables'],
  'AWS::EC2::RouteTable': ['ec2:DescribeRouteTables'],
  'AWS::EC2::SecurityGroup': ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  'AWS::EC2::SecurityGroupIngress': ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  'AWS::EC2::Subnet': ['ec2:DescribeSubnets', 'ec2:DescribeNetworkAcls'],
  'AWS::EC2::SubnetRouteTableAssociation': ['ec2:DescribeRouteTables'],
  'AWS::EC2::VPC': [
    'ec2:DescribeVpcs',
    'ec2:DescribeVpcAttribute',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeNetworkAcls',
  ],
  'AWS::EC2::VPCEndpoint': ['ec2:DescribeVpcEndpoints'],
  'AWS::EC2::VPCGatewayAttachment': ['ec2:DescribeInternetGateways', 'ec2:DescribeVpnGateways'],
  'AWS::EC2::VPCPeeringConnection': ['ec2:DescribeVpcPeeringConnections'],
  'AWS::EKS::AccessEntry': ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
  'AWS::EKS::Addon': ['eks:DescribeAddon'],
  'AWS::EKS::Cluster': ['eks:DescribeCluster'],
  'AWS::EKS::Nodegroup': ['eks:DescribeNodegroup'],
  'AWS::Events::Rule': ['events:DescribeRule', 'events:ListTargetsByRule'],
  'AWS::IAM::InstanceProfile': ['iam:GetInstanceProfile'],
  'AWS::IAM::OIDCProvider': ['iam:GetOpenIDConnectProvider'],
  'AWS::IAM::ManagedPolicy': ['iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions'],
  'AWS::IAM::Role': [
    'iam:GetRole',
    'iam:ListAttachedRolePolicies',
    'iam:ListRolePolicies',
    'iam:GetRolePolicy',
  ],
  'AWS::RDS::DBCluster': ['rds:DescribeDBClusters'],
  'AWS::RDS::DBInstance': ['rds:DescribeDBInstances'],
  'AWS::RDS::DBSubnetGroup': ['rds:DescribeDBSubnetGroups'],
  'AWS::RDS::DBClusterParameterGroup': [
    'rds:DescribeDBClusterParameterGroups',
    'rds:DescribeDBClusterParameters',
  ],
  'AWS::Route53::HealthCheck': ['route53:GetHealthCheck', 'route53:ListTagsForResource'],
  'AWS::SQS::Queue': ['sqs:GetQueueAttributes', 'sqs:ListQueueTags'],
  'AWS::SQS::QueuePolicy': ['sqs:GetQueueAttributes'],
};

/** What the drift job calls itself (cfn-drift.ts): detection, its status, the drifts and the resource list. */
export const DRIFT_API_ACTIONS: readonly string[] = [
  'cloudformation:DescribeStacks',
  'cloudformation:DetectStackDrift',
  // AWS authorizes DetectStackDrift per resource as DetectStackResourceDrift too.
  'cloudformation:DetectStackResourceDrift',
  'cloudformation:DescribeStackDriftDetectionStatus',
  'cloudformation:DescribeStackResourceDrifts',
  'cloudformation:ListStackResources',
];

/** Every resource type the templates declare (`Resources.*.Type`), sorted. */
export function resourceTypesOf(templates: Map<string, string>): string[] {
  const types = new Set<string>();
  for (const [name, body] of templates) {
    const doc = parseTemplate(body, `stacks/${name}.yaml`);
    for (const r of Object.values((doc.Resources ?? {}) as Record<string, { Type?: unknown }>)) {
      if (typeof r?.Type === 'string') types.add(r.Type);
    }
  }
  return [...types].sort();
}

/** The actions the role running drift detection needs for these types, and the types this table lacks. */
export function driftReadActions(types: string[]): { actions: string[]; unknownTypes: string[] } {
  const actions = new Set(DRIFT_API_ACTIONS);
  const unknownTypes: string[] = [];
  for (const t of types) {
    const known = DRIFT_READ_ACTIONS[t];
    if (!known) unknownTypes.push(t);
    else for (const a of known) actions.add(a);
  }
  return { actions: [...actions].sort(), unknownTypes };
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
}

function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** ReadOnlyAccess grants every service's Describe*, Get* and List* (approximately: it has exceptions). */
const READ_ONLY_PATTERNS = ['*:Describe*', '*:Get*', '*:List*'];

/**
 * The actions a role from a template does not allow: its inline policies' Allow statements (wildcards
 * matched; Resource and Condition not evaluated, every drift read action is on `*`) and the AWS managed
 * ReadOnlyAccess policy when attached.
 */
export function missingRoleActions(role: Record<string, unknown>, actions: string[]): string[] {
  const props = (role.Properties ?? {}) as { Policies?: unknown; ManagedPolicyArns?: unknown };
  const patterns: string[] = [];
  for (const p of (Array.isArray(props.Policies) ? props.Policies : []) as {
    PolicyDocument?: { Statement?: unknown };
  }[]) {
    const statements = p.PolicyDocument?.Statement;
    for (const s of (Array.isArray(statements) ? statements : [statements]) as Statement[]) {
      if (s?.Effect !== 'Allow') continue;
      for (const a of Array.isArray(s.Action) ? s.Action : [s.Action])
        if (typeof a === 'string') patterns.push(a);
    }
  }
  const managed = JSON.stringify(props.ManagedPolicyArns ?? []);
  if (/policy\/ReadOnlyAccess"/.test(managed)) patterns.push(...READ_ONLY_PATTERNS);
  return actions.filter((a) => !patterns.some((p) => matches(p, a)));
}
