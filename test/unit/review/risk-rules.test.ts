import { readFileSync } from 'node:fs';
import type { DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { changeSetIam, changeSetResourceChanges } from '../../../src/review/change-set-changes.js';
import type { DnsChange, FluxObjectChange, StackPlan } from '../../../src/plan/plan-types.js';
import { assessDns, assessFlux, assessStack, overallRisk } from '../../../src/review/risk-rules.js';
import { diffTemplates } from '../../../src/review/template-diff.js';

function recorded(name: string): DescribeChangeSetCommandOutput {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/change-sets/${name}.json`, import.meta.url), 'utf8'),
  ) as DescribeChangeSetCommandOutput;
}

function stackPlanFrom(cs: DescribeChangeSetCommandOutput, stack = 'aurora'): StackPlan {
  const changes = cs.Changes ?? [];
  return {
    region: 'us-east-2',
    deployRegion: 'us-east-2',
    stack,
    stackName: `coderdemo-us-east-2-${stack}`,
    template: stack,
    status: 'update',
    changes: changeSetResourceChanges(changes),
    parameters: [],
    templateDiff: '',
    risk: 'none',
    findings: [],
    iam: changeSetIam(changes),
  };
}

describe('stack risk rules on recorded change sets', () => {
  it('flags the Aurora cluster replacement (Replacement True) and the instance (Conditional) as high', () => {
    const findings = assessStack(stackPlanFrom(recorded('aurora-replacement')));
    const replaced = findings.filter((f) => f.rule === 'stateful-replacement');
    expect(replaced.map((f) => [f.subject, f.level])).toEqual([
      ['coderdemo-us-east-2-aurora/DatabaseCluster', 'high'],
      ['coderdemo-us-east-2-aurora/DatabaseInstance', 'high'],
    ]);
    expect(replaced[0]!.message).toMatch(
      /will be replaced: .*StorageEncrypted: false → true \(requires replacement\)/,
    );
    expect(replaced[1]!.message).toMatch(/may be replaced/);
    // The security group rule added is not stateful: no finding of its own.
    expect(findings.some((f) => f.subject.endsWith('DatabaseSecurityGroup'))).toBe(false);
    expect(overallRisk(findings, true)).toBe('high');
  });

  it('shows change-set property details the way a reviewer reads them', () => {
    const changes = changeSetResourceChanges(recorded('aurora-replacement').Changes ?? []);
    expect(changes[1]).toMatchObject({
      logicalId: 'DatabaseInstance',
      replacement: 'Conditional',
      physicalId: 'coderdemo-us-east-2-aurora-databaseinstance-6f5e4d3c2b1a',
    });
    expect(changes[1]!.details).toEqual([
      'Properties.DBClusterIdentifier (modify) (requires replacement, value known after apply, caused by DatabaseCluster)',
    ]);
  });

  it('flags a policy broadened to a wildcard (IncludePropertyValues before/after contexts) as high', () => {
    const plan = stackPlanFrom(recorded('iam-broadening'), 'eks');
    expect(plan.iam?.broadened).toBe(true);
    expect(plan.iam?.trustPolicyChanges).toEqual([]);
    const findings = assessStack(plan);
    expect(findings.map((f) => f.rule)).toEqual(['iam-broadening']);
    expect(findings[0]!.message).toContain('Allow secretsmanager:* on *');
    expect(plan.iam?.removed.join()).toContain('secretsmanager:GetSecretValue');
  });

  it('flags a trust policy change given only as a leaf detail (no contexts) as high', () => {
    const findings = assessStack(stackPlanFrom(recorded('trust-policy-leaf'), 'github-oidc'));
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'iam-trust-policy',
        level: 'high',
        subject: 'coderdemo-us-east-2-github-oidc/PlanRole',
      }),
    ]);
  });

  it('a policy narrowed (an Allow removed) is not broadening, but still a low change', () => {
    const plan = stackPlanFrom(recorded('iam-broadening'), 'eks');
    const cs = recorded('iam-broadening');
    const rc = cs.Changes![0]!.ResourceChange!;
    [rc.BeforeContext, rc.AfterContext] = [rc.AfterContext, rc.BeforeContext];
    rc.Details = [];
    plan.iam = changeSetIam(cs.Changes!);
    expect(plan.iam.broadened).toBe(false);
    expect(assessStack(plan).map((f) => [f.rule, f.level])).toEqual([['stack-change', 'low']]);
  });

  it('a no-changes stack has no findings and the plan risk is none', () => {
    const plan = { ...stackPlanFrom(recorded('no-changes'), 'network'), status: 'no-changes' as const };
    expect(assessStack(plan)).toEqual([]);
    expect(overallRisk([], false)).toBe('none');
  });

  it('deleting a stateful resource is high, unless it is retained', () => {
    const plan = stackPlanFrom(recorded('no-changes'), 'network');
    plan.changes = [
      { logicalId: 'Vpc', type: 'AWS::EC2::VPC', action: 'Remove', details: [] },
      {
        logicalId: 'Data',
        type: 'AWS::EC2::Volume',
        action: 'Remove',
        details: ['removed from the stack but retained (DeletionPolicy)'],
      },
    ];
    expect(assessStack(plan).map((f) => [f.rule, f.subject])).toEqual([
      ['stateful-deletion', 'coderdemo-us-east-2-network/Vpc'],
    ]);
  });

  it('a failed change set is medium and names the reason', () => {
    const plan = {
      ...stackPlanFrom(recorded('no-changes'), 'eks'),
      status: 'failed' as const,
      reason: 'Template format error',
    };
    expect(assessStack(plan)).toEqual([
      expect.objectContaining({
        rule: 'change-set-failed',
        level: 'medium',
        message: 'change set failed: Template format error',
      }),
    ]);
  });
});

describe('template diff feeds the same rules offline', () => {
  it('StorageEncrypted on an Aurora cluster is a replacement; s3:GetObject → * broadens IAM', () => {
    const base = {
      Resources: {
        Db: {
          Type: 'AWS::RDS::DBCluster',
          Properties: { Engine: 'aurora-postgresql', StorageEncrypted: false },
        },
        Policy: {
          Type: 'AWS::IAM::ManagedPolicy',
          Properties: {
            PolicyDocument: {
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
            },
          },
        },
      },
    };
    const head = structuredClone(base);
    head.Resources.Db.Properties.StorageEncrypted = true;
    head.Resources.Policy.Properties.PolicyDocument.Statement[0]!.Action = '*';
    const diff = diffTemplates(base, head);
    expect(diff.text).toContain('[~] AWS::RDS::DBCluster Db replace');
    expect(diff.text).not.toContain(String.fromCharCode(27));
    const plan = { ...stackPlanFrom(recorded('no-changes')), changes: diff.changes, iam: diff.iam };
    expect(assessStack(plan).map((f) => [f.rule, f.level])).toEqual([
      ['stateful-replacement', 'high'],
      ['iam-broadening', 'high'],
    ]);
  });
});

function flux(partial: Partial<FluxObjectChange>): FluxObjectChange {
  return {
    region: 'us-west-2',
    kustomization: 'apps',
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'coder',
    namespace: 'coder',
    action: 'changed',
    fields: [],
    ...partial,
  };
}

describe('Flux risk rules', () => {
  it.each([
    [
      'Deployment selector',
      flux({ fields: [{ path: 'spec.selector.matchLabels.app', before: 'coder', after: 'coderd' }] }),
      'immutable-field',
      'high',
    ],
    [
      'Service clusterIP',
      flux({
        kind: 'Service',
        apiVersion: 'v1',
        fields: [{ path: 'spec.clusterIP', before: '10.100.0.10', after: 'None' }],
      }),
      'immutable-field',
      'high',
    ],
    [
      'PVC storage class',
      flux({
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        fields: [{ path: 'spec.storageClassName', before: 'gp2', after: 'gp3' }],
      }),
      'immutable-field',
      'high',
    ],
    ['pruned removal', flux({ action: 'removed', prunes: true }), 'prune-deletion', 'high'],
    [
      'suspend flip',
      flux({
        kind: 'HelmRelease',
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        fields: [{ path: 'spec.suspend', after: 'true' }],
      }),
      'suspend-flip',
      'high',
    ],
    [
      'namespace removal',
      flux({
        kind: 'Namespace',
        apiVersion: 'v1',
        namespace: undefined,
        name: 'coder',
        action: 'removed',
        prunes: true,
      }),
      'namespace-removal',
      'high',
    ],
    [
      'chart major bump',
      flux({
        kind: 'HelmRelease',
        fields: [{ path: 'spec.chart.spec.version', before: '2.25.1', after: '3.0.0' }],
        chart: { name: 'coder', from: '2.25.1', to: '3.0.0' },
      }),
      'chart-major-bump',
      'medium',
    ],
    [
      'chart minor bump',
      flux({
        kind: 'HelmRelease',
        fields: [{ path: 'spec.chart.spec.version', before: '2.25.1', after: '2.26.0' }],
        chart: { name: 'coder', from: '2.25.1', to: '2.26.0' },
      }),
      'flux-change',
      'low',
    ],
    ['removal without prune', flux({ action: 'removed', prunes: false }), 'flux-change', 'low'],
    [
      'image change',
      flux({
        fields: [{ path: 'spec.template.spec.containers[name=coder].image', before: 'a:1', after: 'a:2' }],
      }),
      'flux-change',
      'low',
    ],
  ])('%s', (_name, change, rule, level) => {
    const findings = assessFlux([change]);
    expect(findings.map((f) => [f.rule, f.level])).toEqual([[rule, level]]);
  });

  it('nothing changed: no findings, risk none', () => {
    expect(assessFlux([])).toEqual([]);
    expect(overallRisk(assessFlux([]), false)).toBe('none');
  });
});

describe('DNS risk rules', () => {
  const dns = (p: Partial<DnsChange>): DnsChange => ({
    region: 'eu-west-2',
    record: 'coderdemo.io',
    kind: 'latency-alias',
    action: 'add',
    reason: 'region enabled',
    ...p,
  });
  it('a region leaving latency routing is one medium finding, however many records', () => {
    const findings = assessDns([
      dns({ action: 'remove', reason: 'region disabled' }),
      dns({ action: 'remove', record: '*.coderdemo.io', reason: 'region disabled' }),
    ]);
    expect(findings.map((f) => [f.rule, f.level])).toEqual([['latency-routing-exit', 'medium']]);
  });
  it('removing a region record is medium; adding records is low', () => {
    expect(
      assessDns([dns({ kind: 'region-alias', record: 'eu-west-2.coderdemo.io', action: 'remove' })])[0],
    ).toMatchObject({
      rule: 'dns-removal',
      level: 'medium',
    });
    expect(assessDns([dns({})]).map((f) => [f.rule, f.level])).toEqual([['dns-change', 'low']]);
  });
  it('overall risk takes the highest finding; changes no rule names are low', () => {
    expect(overallRisk(assessDns([dns({ action: 'remove' })]), true)).toBe('medium');
    expect(overallRisk([], true)).toBe('low');
  });
});
