import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { parseTemplate } from '../../../src/gitops/cfn-yaml.js';
import {
  driftReadActions,
  missingRoleActions,
  resourceTypesOf,
} from '../../../src/drift/drift-read-actions.js';
import type { GitopsConfig } from '../../../src/gitops/types.js';

const GITOPS = new URL('../../../gitops', import.meta.url).pathname;
let config: GitopsConfig;
let verifyRole: Record<string, unknown>;

beforeAll(async () => {
  config = await loadGitops(GITOPS);
  const oidc = parseTemplate(config.templates.get('github-oidc')!, 'stacks/github-oidc.yaml');
  verifyRole = (oidc.Resources as Record<string, Record<string, unknown>>).VerifyRole!;
});

test('every resource type in gitops/stacks has its drift read actions (a new type cannot be forgotten)', () => {
  const types = resourceTypesOf(config.templates);
  expect(types).toEqual(
    expect.arrayContaining(['AWS::EKS::Cluster', 'AWS::RDS::DBCluster', 'AWS::IAM::Role']),
  );
  // Parameter types (AWS::EC2::VPC::Id, AWS::SSM::Parameter::Value<…>) are not resources.
  expect(types).not.toContain('AWS::EC2::VPC::Id');
  expect(driftReadActions(types).unknownTypes).toEqual([]);
});

test('the derived list holds the detection calls and each type’s read handler permissions', () => {
  const { actions } = driftReadActions(resourceTypesOf(config.templates));
  expect(actions).toEqual(
    expect.arrayContaining([
      'cloudformation:DetectStackDrift',
      'cloudformation:DetectStackResourceDrift',
      'cloudformation:DescribeStackDriftDetectionStatus',
      'cloudformation:DescribeStackResourceDrifts',
      'cloudformation:ListStackResources',
      'eks:DescribeCluster',
      'eks:DescribeNodegroup',
      'rds:DescribeDBClusters',
      'ec2:DescribeSecurityGroups',
      'iam:GetRole',
      'route53:GetHealthCheck',
    ]),
  );
  expect(driftReadActions(['AWS::Made::Up']).unknownTypes).toEqual(['AWS::Made::Up']);
});

test('missingRoleActions: wildcards, ReadOnlyAccess, Deny statements grant nothing', () => {
  const role = (policies: unknown, managed: unknown[] = []) => ({
    Properties: { Policies: policies, ManagedPolicyArns: managed },
  });
  const actions = ['rds:DescribeDBClusters', 'eks:DescribeCluster', 'cloudformation:DetectStackDrift'];
  expect(
    missingRoleActions(
      role([
        { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['rds:Describe*'], Resource: '*' }] } },
      ]),
      actions,
    ),
  ).toEqual(['eks:DescribeCluster', 'cloudformation:DetectStackDrift']);
  expect(
    missingRoleActions(
      role(
        [{ PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] } }],
        [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess' }],
      ),
      actions,
    ),
  ).toEqual(['cloudformation:DetectStackDrift']);
});

// The verify role runs the drift job.
test('the verify role in gitops/stacks/github-oidc.yaml grants every drift read action', () => {
  const { actions } = driftReadActions(resourceTypesOf(config.templates));
  expect(missingRoleActions(verifyRole, actions)).toEqual([]);
});
