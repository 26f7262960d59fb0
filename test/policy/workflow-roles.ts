import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { load } from 'js-yaml';
import { evaluateWebIdentityTrust, type OidcProviderFact } from '../../src/aws/iam/web-identity-trust.js';
import type { IamCall } from '../helpers/iam-calls.js';
import { REPO_ROOT } from '../helpers/run-action.js';
import { resolveTemplate } from './resolve-template.js';

/*
 * The roles of gitops/stacks/github-oidc.yaml, resolved for the project (platform.yaml's account,
 * repository, zone and domain; the account region), ready for @cloud-copilot/iam-simulate (AGPL-3.0:
 * a devDependency used by tests only, never bundled) and for the project's trust evaluator.
 */

export const TEMPLATE_FILE = join(REPO_ROOT, 'gitops', 'stacks', 'github-oidc.yaml');

const platform = load(readFileSync(join(REPO_ROOT, 'gitops', 'platform.yaml'), 'utf8')) as {
  project: string;
  domain: string;
  accountId: string;
  hostedZoneId: string;
  github: { repository: string };
  account: { region: string };
};
export const PROJECT = platform.project;
export const ACCOUNT = platform.accountId;
export const REPOSITORY = platform.github.repository;
export const ZONE = platform.hostedZoneId;
export const DOMAIN = platform.domain;
export const ROLE_ARN = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const EXECUTION_ROLE = ROLE_ARN(`${PROJECT}-cloudformation`);
export const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/${PROJECT}-workload-boundary`;
export const GITHUB_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

/**
 * AWS managed PowerUserAccess (policy version v5, IAM console): everything but IAM, Organizations
 * and Account management, plus the few IAM/Organizations/Account reads and service-linked roles.
 */
const POWER_USER_ACCESS = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: [
        'iam:CreateServiceLinkedRole',
        'iam:DeleteServiceLinkedRole',
        'iam:ListRoles',
        'organizations:DescribeOrganization',
        'account:ListRegions',
        'account:GetAccountInformation',
      ],
      Resource: '*',
    },
  ],
};
const MANAGED: Record<string, unknown> = { 'arn:aws:iam::aws:policy/PowerUserAccess': POWER_USER_ACCESS };

export interface ResolvedRole {
  logicalId: string;
  name: string;
  arn: string;
  trust: unknown;
  policies: { name: string; policy: unknown }[];
  boundary?: unknown;
}

/** Every role (and the boundary policy) of a copy of the template. */
export function workflowRoles(text = readFileSync(TEMPLATE_FILE, 'utf8')): {
  roles: Map<string, ResolvedRole>;
  boundaryPolicy: unknown;
  provider: OidcProviderFact;
} {
  const t = resolveTemplate(text, TEMPLATE_FILE, {
    parameters: { Project: PROJECT, GitHubRepository: REPOSITORY, HostedZoneId: ZONE, Domain: DOMAIN },
    accountId: ACCOUNT,
    region: platform.account.region,
  });
  const roles = new Map<string, ResolvedRole>();
  let boundaryPolicy: unknown;
  for (const [id, r] of Object.entries(t.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::ManagedPolicy') boundaryPolicy = p.PolicyDocument;
    if (r.Type !== 'AWS::IAM::Role') continue;
    const name = String(p.RoleName);
    const inline = ((p.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map((x) => ({
      name: x.PolicyName,
      policy: x.PolicyDocument,
    }));
    const managed = ((p.ManagedPolicyArns ?? []) as string[]).map((a) => {
      if (!MANAGED[a]) throw new Error(`the policy test does not know the managed policy ${a}: encode it`);
      return { name: a.split('/').pop()!, policy: MANAGED[a] };
    });
    roles.set(name, {
      logicalId: id,
      name,
      arn: ROLE_ARN(name),
      trust: p.AssumeRolePolicyDocument,
      policies: [...managed, ...inline],
    });
  }
  const oidc = t.Resources.GitHubOidcProvider?.Properties as
    { Url: string; ClientIdList: string[] } | undefined;
  return {
    roles,
    boundaryPolicy,
    provider: {
      arn: GITHUB_PROVIDER,
      url: (oidc?.Url ?? 'https://token.actions.githubusercontent.com').replace(/^https:\/\//, ''),
      clientIds: oidc?.ClientIdList ?? ['sts.amazonaws.com'],
    },
  };
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** The simulator's decision for one call by a role (its identity policies, conditions included). */
export async function simulate(role: ResolvedRole, call: IamCall): Promise<Decision> {
  const res = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/policy-test`,
        action: call.action,
        resource: { resource: call.resource, accountId: ACCOUNT },
        contextVariables: call.context ?? {},
      },
      identityPolicies: role.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (res.resultType === 'error')
    throw new Error(`simulating ${call.action} on ${call.resource}: ${JSON.stringify(res.errors)}`);
  return res.overallResult as Decision;
}

/** Whether the role's trust policy accepts a GitHub token with this subject (the sandbox's evaluator). */
export function trusts(role: ResolvedRole, provider: OidcProviderFact, sub: string): boolean {
  return evaluateWebIdentityTrust({
    trustPolicy: role.trust,
    claims: { iss: `https://${provider.url}`, aud: 'sts.amazonaws.com', sub },
    providers: [provider],
  }).allowed;
}
