import { SetStackPolicyCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { wrapAwsError } from '../../util/errors.js';
import { withRetry } from '../../util/retry.js';
import type { Risk } from './change-set-identity.js';

/** Resource types whose replacement or deletion loses data or identity (the stack policy protects them). */
export const STATEFUL_RESOURCE_TYPES = [
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBSubnetGroup',
  'AWS::EC2::VPC',
  'AWS::EC2::Volume',
  'AWS::EC2::VPCPeeringConnection',
  'AWS::EKS::Cluster',
  'AWS::IAM::OIDCProvider',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::EFS::FileSystem',
  'AWS::CertificateManager::Certificate',
] as const;

/** The policy set on every apply: everything may update, except replacing or deleting stateful resources. */
export function protectivePolicy(): string {
  return JSON.stringify({
    Statement: [
      { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' },
      {
        Effect: 'Deny',
        Action: ['Update:Replace', 'Update:Delete'],
        Principal: '*',
        Resource: '*',
        Condition: { StringEquals: { ResourceType: [...STATEFUL_RESOURCE_TYPES] } },
      },
    ],
  });
}

/** The temporary override: allows every update, for a change reviewed as high risk with allow-destructive. */
export function overridePolicy(): string {
  return JSON.stringify({
    Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' }],
  });
}

/** Whether destructive updates are let through for this change: reviewed as high risk AND allow-destructive. */
export function allowsDestructive(reviewedRisk: Risk | undefined, allowDestructive: boolean): boolean {
  return allowDestructive && reviewedRisk === 'high';
}

/** Set the stack's policy (the protective one, or the override when {@link allowsDestructive}). */
export async function setStackPolicy(
  cfn: CloudFormationClient,
  stackName: string,
  override: boolean,
  sleep?: (ms: number) => Promise<void>,
): Promise<void> {
  const body = override ? overridePolicy() : protectivePolicy();
  await withRetry(
    () => cfn.send(new SetStackPolicyCommand({ StackName: stackName, StackPolicyBody: body })),
    {
      label: `SetStackPolicy ${stackName}`,
      sleep,
    },
  ).catch((err: unknown) => {
    throw wrapAwsError(`could not set the stack policy of ${stackName}`, err);
  });
}
