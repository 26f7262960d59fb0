import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { parseTemplate } from '../../src/gitops/cfn-yaml.js';
import { REPO_ROOT } from '../helpers/run-action.js';
import { resolveTemplate } from './resolve-template.js';
import { ACCOUNT, PROJECT, simulate, type ResolvedRole } from './workflow-roles.js';

/*
 * The External Secrets controller's role in gitops/stacks/eks.yaml, simulated like the workflow roles
 * (@cloud-copilot/iam-simulate): moto does not evaluate resource ARNs with wildcards against a secret's
 * random suffix, nor explicit denies for the workload's IRSA role. What each cluster may read: the hub's
 * `<project>/*` and RDS secrets, its own region's proxy token and provisioner key (written there by
 * apply-region), never the Coder owner token or licence (apply-region's alone).
 */
const FILE = join(REPO_ROOT, 'gitops', 'stacks', 'eks.yaml');
const HUB = 'us-east-2';
const REGION = 'us-west-2';

function externalSecretsRole(): ResolvedRole {
  // Only the role's policies: the rest of the template uses attributes the resolver does not model.
  const t = parseTemplate(readFileSync(FILE, 'utf8'), FILE) as {
    Parameters: Record<string, unknown>;
    Resources: Record<string, { Properties: { Policies: unknown } }>;
  };
  const mini = {
    Parameters: t.Parameters,
    Resources: {
      Policies: {
        Type: 'Custom::Policies',
        Properties: { Policies: t.Resources.ExternalSecretsRole!.Properties.Policies },
      },
    },
  };
  const resolved = resolveTemplate(dump(mini), FILE, {
    parameters: { Project: PROJECT, HubRegion: HUB },
    accountId: ACCOUNT,
    region: REGION,
  });
  const policies = (
    resolved.Resources.Policies!.Properties!.Policies as { PolicyName: string; PolicyDocument: unknown }[]
  ).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument }));
  return { logicalId: 'ExternalSecretsRole', name: 'external-secrets', arn: '', trust: {}, policies };
}

const secret = (region: string, name: string) =>
  `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-AbC123`;
const read = (resource: string) => ({ action: 'secretsmanager:GetSecretValue', resource });

const CASES: [string, string, 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied'][] = [
  ['its own region: the proxy token', secret(REGION, `${PROJECT}/coder-proxy-token`), 'Allowed'],
  ['its own region: the provisioner key', secret(REGION, `${PROJECT}/coder-provisioner-key`), 'Allowed'],
  ['the hub: GitHub OAuth', secret(HUB, `${PROJECT}/github-oauth`), 'Allowed'],
  ['the hub: the RDS master secret', secret(HUB, 'rds!cluster-0123'), 'Allowed'],
  ['the hub: the Coder owner token', secret(HUB, `${PROJECT}/coder-owner-token`), 'ExplicitlyDenied'],
  ['the hub: the Coder licence', secret(HUB, `${PROJECT}/coder-license`), 'ExplicitlyDenied'],
  ['its own region: any other project secret', secret(REGION, `${PROJECT}/github-oauth`), 'ImplicitlyDenied'],
  [
    'another region: its proxy token',
    secret('eu-west-2', `${PROJECT}/coder-proxy-token`),
    'ImplicitlyDenied',
  ],
  ['a look-alike name', secret(REGION, `${PROJECT}/coder-proxy-token-evil`), 'ImplicitlyDenied'],
];

test.each(CASES)('External Secrets in %s: %s → %s', async (_what, resource, want) => {
  expect(await simulate(externalSecretsRole(), read(resource))).toBe(want);
});
