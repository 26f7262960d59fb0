import { githubSubjects } from '../helpers/github-subjects.js';
import type { IamCall } from '../helpers/iam-calls.js';
import {
  ACCOUNT,
  BOUNDARY,
  DOMAIN,
  EXECUTION_ROLE,
  GITHUB_PROVIDER,
  PROJECT,
  REPOSITORY,
  ROLE_ARN,
  ZONE,
} from './workflow-roles.js';

/*
 * What each role may NOT do (issue 14's deny table). Each cell is a call the simulator must refuse
 * (or a token subject the trust evaluator must refuse) and the smallest edit of the template that
 * would let it through: the policy test checks both, so a template that breaks a cell fails.
 */

export type RoleKey = 'plan' | 'deploy' | 'cloudformation' | 'verify';

export interface DenyCell {
  role: RoleKey;
  /** What is refused, as the matrix shows it. */
  guard: string;
  /** An IAM call the role's policies must refuse… */
  call?: IamCall;
  /** …or a token subject its trust policy must refuse. */
  subject?: string;
  /** A copy of the template with this guard broken. */
  breakIt: (template: string) => string;
}

export const ROLE_NAMES: Record<RoleKey, string> = {
  plan: `${PROJECT}-github-plan`,
  deploy: `${PROJECT}-github-deploy`,
  cloudformation: `${PROJECT}-cloudformation`,
  verify: `${PROJECT}-github-verify`,
};

const stack = (name: string, region = 'us-east-2') =>
  `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/00000000-0000-0000-0000-000000000000`;
const NETWORK = stack(`${PROJECT}-us-east-2-network`);
const OIDC_STACK = stack(`${PROJECT}-us-east-2-github-oidc`);
const WORKLOAD_ROLE = ROLE_ARN(`${PROJECT}-us-east-2-eks-CoderRole-ABC123`);

/** Replace exactly the first occurrence, and fail loudly when the template no longer has it. */
function edit(template: string, from: string | RegExp, to: string, all = false): string {
  const found = typeof from === 'string' ? template.includes(from) : from.test(template);
  if (!found) throw new Error(`deny table: the template no longer contains ${String(from)}; update the cell`);
  if (all && typeof from === 'string') return template.split(from).join(to);
  return template.replace(from, to);
}

const addToPlanReads = (actions: string[]) => (t: string) =>
  edit(
    t,
    '[elasticloadbalancing:DescribeLoadBalancers, elasticloadbalancing:DescribeTags, eks:DescribeCluster]',
    `[elasticloadbalancing:DescribeLoadBalancers, elasticloadbalancing:DescribeTags, eks:DescribeCluster, ${actions.join(', ')}]`,
  );

const PLAN_READ_SECRETS: [string, string][] = [
  ['s3:GetObject', `arn:aws:s3:::${PROJECT}-state/terraform.tfstate`],
  ['ssm:GetParameter', `arn:aws:ssm:us-east-2:${ACCOUNT}:parameter/${PROJECT}/db-password`],
  ['ssm:GetParameters', `arn:aws:ssm:us-east-2:${ACCOUNT}:parameter/${PROJECT}/db-password`],
  [
    'secretsmanager:GetSecretValue',
    `arn:aws:secretsmanager:us-east-2:${ACCOUNT}:secret:${PROJECT}/flux-system/git-AbCdEf`,
  ],
  ['lambda:GetFunction', `arn:aws:lambda:us-east-2:${ACCOUNT}:function:anything`],
];

const widenIamDenies = (t: string) =>
  edit(t, `role/\${Project}-github-*`, `role/\${Project}-nothing-*`, true).replace(
    '{ Effect: Allow, Action: eks:ListClusters, Resource: "*" }',
    '{ Effect: Allow, Action: eks:ListClusters, Resource: "*" }\n              - { Effect: Allow, Action: "iam:*", Resource: "*" }',
  );

export const DENY_TABLE: DenyCell[] = [
  // plan: any pull-request author holds it.
  {
    role: 'plan',
    guard: 'no ExecuteChangeSet',
    call: {
      action: 'cloudformation:ExecuteChangeSet',
      resource: NETWORK,
      context: { 'cloudformation:ChangeSetName': `cg-0123456789ab-${PROJECT}-us-east-2-network` },
    },
    breakIt: (t) =>
      edit(
        t,
        '                  - cloudformation:DescribeStackResourceDrifts\n                Resource',
        '                  - cloudformation:DescribeStackResourceDrifts\n                  - cloudformation:ExecuteChangeSet\n                Resource',
      ),
  },
  {
    role: 'plan',
    guard: "CreateChangeSet only on the project's stacks",
    call: {
      action: 'cloudformation:CreateChangeSet',
      resource: stack('someone-elses-stack'),
      context: {
        'cloudformation:RoleArn': EXECUTION_ROLE,
        'cloudformation:ChangeSetName': 'cg-0123456789ab-x',
      },
    },
    breakIt: (t) =>
      edit(
        t,
        'Action: cloudformation:CreateChangeSet\n                Resource: !Sub arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/${Project}-*/*',
        'Action: cloudformation:CreateChangeSet\n                Resource: "*"',
      ),
  },
  {
    role: 'plan',
    guard: 'CreateChangeSet only with the CloudFormation role (cloudformation:RoleArn)',
    call: {
      action: 'cloudformation:CreateChangeSet',
      resource: NETWORK,
      context: {
        'cloudformation:RoleArn': ROLE_ARN(`${PROJECT}-github-deploy`),
        'cloudformation:ChangeSetName': 'cg-0123456789ab-x',
      },
    },
    breakIt: (t) =>
      edit(
        t,
        'StringEquals: { cloudformation:RoleArn: !GetAtt CloudFormationExecutionRole.Arn }',
        'StringLike: { cloudformation:RoleArn: "*" }',
      ),
  },
  {
    role: 'plan',
    guard: "DeleteChangeSet only of the plan's own change sets (cloudformation:ChangeSetName cg-*)",
    call: {
      action: 'cloudformation:DeleteChangeSet',
      resource: NETWORK,
      context: { 'cloudformation:ChangeSetName': `ca-0123456789ab-${PROJECT}-us-east-2-network` },
    },
    breakIt: (t) => edit(t, '                      - cg-*\n', '                      - "*"\n'),
  },
  {
    role: 'plan',
    guard: 'PassRole only of the CloudFormation role',
    call: {
      action: 'iam:PassRole',
      resource: ROLE_ARN(`${PROJECT}-github-deploy`),
      context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    },
    breakIt: (t) =>
      edit(
        t,
        'Action: iam:PassRole\n                Resource: !GetAtt CloudFormationExecutionRole.Arn',
        'Action: iam:PassRole\n                Resource: "*"',
      ),
  },
  {
    role: 'plan',
    guard: 'PassRole only to cloudformation.amazonaws.com',
    call: {
      action: 'iam:PassRole',
      resource: EXECUTION_ROLE,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    },
    breakIt: (t) =>
      edit(
        t,
        'Condition: { StringEquals: { iam:PassedToService: cloudformation.amazonaws.com } }',
        'Condition: { StringLike: { iam:PassedToService: "*" } }',
      ),
  },
  ...PLAN_READ_SECRETS.map(([action, resource]): DenyCell => ({
    role: 'plan',
    guard: `no ${action}`,
    call: { action, resource },
    breakIt: addToPlanReads([action]),
  })),
  {
    role: 'plan',
    guard: "trusts only this repository's pull requests and main",
    subject: githubSubjects('someone/fork').pullRequest,
    breakIt: (t) =>
      edit(
        t,
        '!Sub repo:${GitHubRepository}:pull_request:ref:refs/pull/*/merge:job_workflow_ref:${GitHubRepository}/.github/workflows/plan.yml@refs/pull/*/merge',
        'repo:someone/fork:pull_request:ref:refs/pull/*/merge:job_workflow_ref:someone/fork/.github/workflows/plan.yml@refs/pull/*/merge',
      ),
  },
  // deploy: main / production only.
  {
    role: 'deploy',
    guard: "refuses a pull request's token",
    subject: githubSubjects(REPOSITORY).pullRequest,
    breakIt: (t) =>
      edit(
        t,
        '      RoleName: !Sub ${Project}-github-deploy',
        '      RoleName: !Sub ${Project}-github-deploy',
      ).replace(
        /(RoleName: !Sub \$\{Project\}-github-deploy[\s\S]*?token\.actions\.githubusercontent\.com:sub:\n)/,
        `$1                  - ${githubSubjects(REPOSITORY).pullRequest}\n`,
      ),
  },
  ...(
    [
      [
        'ExecuteChangeSet',
        { 'cloudformation:ChangeSetName': `cg-0123456789ab-${PROJECT}-us-east-2-github-oidc` },
      ],
      ['DeleteStack', {}],
      ['SetStackPolicy', {}],
    ] as [string, Record<string, string>][]
  ).map(([op, context]): DenyCell => ({
    role: 'deploy',
    guard: `no ${op} on the github-oidc stack`,
    call: { action: `cloudformation:${op}`, resource: OIDC_STACK, context },
    breakIt: (t) => edit(t, 'stack/${Project}-*-github-oidc/*', 'stack/nothing/*'),
  })),
  ...(
    [
      ['iam:UpdateAssumeRolePolicy', ROLE_ARN(`${PROJECT}-github-deploy`), "a workflow role's trust"],
      ['iam:PutRolePolicy', ROLE_ARN(`${PROJECT}-github-plan`), "a workflow role's policies"],
      ['iam:AttachRolePolicy', ROLE_ARN(`${PROJECT}-github-verify`), "a workflow role's managed policies"],
      ['iam:UpdateOpenIDConnectProviderThumbprint', GITHUB_PROVIDER, 'the GitHub OIDC provider'],
      ['iam:DeleteOpenIDConnectProvider', GITHUB_PROVIDER, 'the GitHub OIDC provider (delete)'],
    ] as [string, string, string][]
  ).map(([action, resource, what]): DenyCell => ({
    role: 'deploy',
    guard: `no change to ${what}`,
    call: { action, resource },
    breakIt: (t) =>
      widenIamDenies(t)
        .split('oidc-provider/token.actions.githubusercontent.com')
        .join('oidc-provider/not-github'),
  })),
  // apply's Coder step: the tokens it writes it never reads back, and it writes no other secret.
  {
    role: 'deploy',
    guard: 'no GetSecretValue of the Coder proxy token it writes',
    call: {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:${PROJECT}/coder-proxy-token-AbCdEf`,
    },
    breakIt: (t) =>
      edit(
        t,
        '${Project}/coder-license-??????\n',
        '${Project}/coder-license-??????\n                  - !Sub arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:${Project}/coder-proxy-token-??????\n',
      ),
  },
  ...(
    [
      [
        'secretsmanager:PutSecretValue',
        `${PROJECT}/coder-owner-token-AbCdEf`,
        "the operator's Coder owner token",
      ],
      ['secretsmanager:PutSecretValue', `${PROJECT}/github-oauth-AbCdEf`, 'any other secret'],
      [
        'secretsmanager:CreateSecret',
        `${PROJECT}/coder-proxy-token-evil`,
        'a name that only starts like the proxy token',
      ],
    ] as [string, string, string][]
  ).map(([action, name, what]): DenyCell => ({
    role: 'deploy',
    guard: `no ${action.split(':')[1]} on ${what}`,
    call: { action, resource: `arn:aws:secretsmanager:us-east-2:${ACCOUNT}:secret:${name}` },
    breakIt: (t) =>
      edit(
        t,
        '${Project}/coder-proxy-token\n',
        '${Project}/coder-proxy-token\n                  - !Sub arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:${Project}/*\n',
      ),
  })),
  {
    role: 'deploy',
    guard: 'Route 53: only the Coder names',
    call: {
      action: 'route53:ChangeResourceRecordSets',
      resource: `arn:aws:route53:::hostedzone/${ZONE}`,
      context: {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`mail.${DOMAIN}`],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    },
    breakIt: (t) => edit(t, '                      - !Ref Domain\n', '                      - "*"\n'),
  },
  {
    role: 'deploy',
    guard: 'Route 53: only A records',
    call: {
      action: 'route53:ChangeResourceRecordSets',
      resource: `arn:aws:route53:::hostedzone/${ZONE}`,
      context: {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [DOMAIN],
        'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    },
    breakIt: (t) =>
      edit(
        t,
        'route53:ChangeResourceRecordSetsRecordTypes: [A]',
        'route53:ChangeResourceRecordSetsRecordTypes: [A, TXT]',
      ),
  },
  // The execution role: what any template applied by deploy can do.
  {
    role: 'cloudformation',
    guard: 'no role created without the permissions boundary',
    call: { action: 'iam:CreateRole', resource: WORKLOAD_ROLE },
    breakIt: (t) =>
      edit(
        edit(
          t,
          / {14}- Effect: Deny\n {16}Action: \[iam:CreateRole, iam:PutRolePermissionsBoundary\][\s\S]*?StringNotEquals: \{ iam:PermissionsBoundary: !Ref WorkloadBoundary \}\n/,
          '',
        ),
        '                Condition:\n                  StringEquals: { iam:PermissionsBoundary: !Ref WorkloadBoundary }\n',
        '',
      ),
  },
  {
    role: 'cloudformation',
    guard: 'no role created with another boundary',
    call: {
      action: 'iam:CreateRole',
      resource: WORKLOAD_ROLE,
      context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    },
    breakIt: (t) =>
      edit(
        edit(
          t,
          'StringNotEquals: { iam:PermissionsBoundary: !Ref WorkloadBoundary }',
          'StringNotEquals: { iam:PermissionsBoundary: "arn:aws:iam::aws:policy/AdministratorAccess" }',
        ),
        'StringEquals: { iam:PermissionsBoundary: !Ref WorkloadBoundary }',
        'StringLike: { iam:PermissionsBoundary: "*" }',
      ),
  },
  ...(['AdministratorAccess', 'IAMFullAccess'] as const).map((policy): DenyCell => ({
    role: 'cloudformation',
    guard: `no ${policy} attached`,
    call: {
      action: 'iam:AttachRolePolicy',
      resource: WORKLOAD_ROLE,
      context: { 'iam:PolicyARN': `arn:aws:iam::aws:policy/${policy}`, 'iam:PermissionsBoundary': BOUNDARY },
    },
    breakIt: (t) => edit(t, `iam::aws:policy/${policy}\n`, `iam::aws:policy/Not${policy}\n`),
  })),
  {
    role: 'cloudformation',
    guard: 'no boundary removed',
    call: {
      action: 'iam:DeleteRolePermissionsBoundary',
      resource: WORKLOAD_ROLE,
      context: { 'iam:PermissionsBoundary': BOUNDARY },
    },
    breakIt: (t) =>
      edit(
        edit(
          t,
          'Action: [iam:DeleteRolePermissionsBoundary, iam:DeleteUserPermissionsBoundary, iam:CreateUser, iam:CreateAccessKey]',
          'Action: [iam:DeleteUserPermissionsBoundary, iam:CreateUser, iam:CreateAccessKey]',
        ),
        '                  - iam:UntagRole\n',
        '                  - iam:UntagRole\n                  - iam:DeleteRolePermissionsBoundary\n',
      ),
  },
  {
    role: 'cloudformation',
    guard: 'no change to the GitHub OIDC provider',
    call: { action: 'iam:UpdateOpenIDConnectProviderThumbprint', resource: GITHUB_PROVIDER },
    breakIt: (t) =>
      edit(t, 'oidc-provider/token.actions.githubusercontent.com', 'oidc-provider/not-github', true).replace(
        'oidc-provider/oidc.eks.*',
        'oidc-provider/*',
      ),
  },
  {
    role: 'cloudformation',
    guard: 'no change to the workflow roles (even after giving one the boundary)',
    call: {
      action: 'iam:PutRolePermissionsBoundary',
      resource: ROLE_ARN(`${PROJECT}-github-deploy`),
      context: { 'iam:PermissionsBoundary': BOUNDARY },
    },
    breakIt: (t) => edit(t, 'role/${Project}-github-*', 'role/${Project}-nothing-*', true),
  },
  // verify: reads only.
  ...(
    [
      ['route53:ChangeResourceRecordSets', `arn:aws:route53:::hostedzone/${ZONE}`],
      ['cloudformation:ExecuteChangeSet', NETWORK],
      ['rds:ModifyDBCluster', `arn:aws:rds:us-east-2:${ACCOUNT}:cluster:${PROJECT}-us-east-2-aurora`],
      ['cloudwatch:PutMetricData', '*'],
    ] as [string, string][]
  ).map(([action, resource]): DenyCell => ({
    role: 'verify',
    guard: `no write (${action})`,
    call: { action, resource },
    breakIt: (t) =>
      edit(
        t,
        '                  - sqs:ListQueueTags\n                Resource: "*"\n\n  # Every role',
        `                  - sqs:ListQueueTags\n                  - ${action}\n                Resource: "*"\n\n  # Every role`,
      ),
  })),
  {
    role: 'verify',
    guard: "refuses a pull request's token",
    subject: githubSubjects(REPOSITORY).pullRequest,
    breakIt: (t) =>
      t.replace(
        /(RoleName: !Sub \$\{Project\}-github-verify[\s\S]*?token\.actions\.githubusercontent\.com:sub:\n)/,
        `$1                  - ${githubSubjects(REPOSITORY).pullRequest}\n`,
      ),
  },
];
