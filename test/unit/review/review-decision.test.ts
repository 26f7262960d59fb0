import type { Change } from '@aws-sdk/client-cloudformation';
import { changeIdentities, compareChangeSets } from '../../../src/review/change-set-comparison.js';
import { changeSetChanges, regionPlanChanged, stackPlanChanged } from '../../../src/review/changed.js';
import {
  decideReview,
  type AppliedChangeSet,
  type ReviewedReference,
} from '../../../src/review/review-decision.js';
import type { RiskFinding } from '../../../src/plan/plan-types.js';

const STACK = 'coderdemo-us-east-2-aurora';

function change(
  logicalId: string,
  type: string,
  action = 'Modify',
  extra: Record<string, unknown> = {},
): Change {
  return {
    Type: 'Resource',
    ResourceChange: { Action: action as never, LogicalResourceId: logicalId, ResourceType: type, ...extra },
  };
}

const tag = change('Bucket', 'AWS::S3::Bucket', 'Modify', {
  Details: [{ Target: { Attribute: 'Properties', Name: 'Tags' } }],
});
const role = change('ForeignRole', 'AWS::IAM::Role', 'Add');
const db = change('DatabaseCluster', 'AWS::RDS::DBCluster');

function finding(level: RiskFinding['level'], id: string | undefined, rule = 'x'): RiskFinding {
  return { level, rule, subject: id ? `${STACK}/${id}` : STACK, message: `${rule} on ${id ?? 'the stack'}` };
}

function applied(
  changes: Change[],
  findings: RiskFinding[],
  risk: AppliedChangeSet['risk'],
): AppliedChangeSet {
  return { status: 'ready', identities: changeIdentities(changes), findings, risk };
}

function ready(changes: Change[]): ReviewedReference {
  return { state: 'ready', name: `cg-1-${STACK}`, identities: changeIdentities(changes) };
}

describe('compareChangeSets (action, logical id, type, replacement, property paths)', () => {
  it('finds nothing between equal change sets, and names each kind of difference', () => {
    expect(compareChangeSets(changeIdentities([tag, db]), changeIdentities([db, tag]))).toEqual([]);
    const diffs = compareChangeSets(
      changeIdentities([change('Bucket', 'AWS::S3::Bucket', 'Modify', { Replacement: 'True' }), db]),
      changeIdentities([tag, role]),
    );
    expect(diffs.map((d) => [d.logicalId, d.kind])).toEqual([
      ['Bucket', 'differs'],
      ['DatabaseCluster', 'not-reviewed'],
      ['ForeignRole', 'not-applied'],
    ]);
    expect(diffs[0]!.summary).toBe(
      'Modify Bucket (AWS::S3::Bucket, replacement True): replacement (none) → True; no longer changes Properties.Tags',
    );
    expect(diffs[2]!.summary).toMatch(/only in the reviewed change set \(main does not declare it\)/);
  });
});

describe('decideReview', () => {
  const base = { stackName: STACK, allowDestructive: false };
  it.each<[string, Parameters<typeof decideReview>[0], string]>([
    [
      'same changes',
      { ...base, applied: applied([tag], [finding('low', 'Bucket')], 'low'), reviewed: ready([tag]) },
      'execute-reviewed',
    ],
    [
      'same high-risk changes (the review showed them)',
      {
        ...base,
        applied: applied([db], [finding('high', 'DatabaseCluster')], 'high'),
        reviewed: ready([db]),
      },
      'execute-reviewed',
    ],
    [
      'the reviewed change set holds an injected role main does not declare',
      { ...base, applied: applied([tag], [finding('low', 'Bucket')], 'low'), reviewed: ready([tag, role]) },
      'execute-with-differences',
    ],
    [
      'a high-risk change the review did not show',
      {
        ...base,
        applied: applied([tag, db], [finding('low', 'Bucket'), finding('high', 'DatabaseCluster')], 'high'),
        reviewed: ready([tag]),
      },
      'refuse',
    ],
    [
      'a stack-level finding (IAM broadening) while any change differs',
      {
        ...base,
        applied: applied([tag, role], [finding('high', undefined)], 'high'),
        reviewed: ready([tag]),
      },
      'refuse',
    ],
    [
      'the review said "no changes" but main changes the database',
      {
        ...base,
        applied: applied([db], [finding('high', 'DatabaseCluster')], 'high'),
        reviewed: { state: 'no-changes', name: 'cg' },
      },
      'refuse',
    ],
    [
      'no reviewed change set: a new stack (additions only), even with IAM',
      {
        ...base,
        applied: applied([role], [finding('high', undefined)], 'high'),
        reviewed: { state: 'absent', name: 'cg' },
      },
      'execute-with-differences',
    ],
    [
      'no pull request: replacing the database',
      {
        ...base,
        applied: applied([db], [finding('high', 'DatabaseCluster')], 'high'),
        reviewed: { state: 'no-pull-request' },
      },
      'refuse',
    ],
    [
      'nothing to change',
      {
        ...base,
        applied: { status: 'no-changes', identities: [], findings: [], risk: 'none' },
        reviewed: ready([]),
      },
      'no-changes',
    ],
  ])('%s → %s', (_name, input, kind) => {
    expect(decideReview(input).kind).toBe(kind);
  });

  it('lifts the stack policy only with allow-destructive, high risk, and the same high-risk changes reviewed', () => {
    const highDb = applied([db], [finding('high', 'DatabaseCluster')], 'high');
    const lift = (i: Parameters<typeof decideReview>[0]) => {
      const d = decideReview(i);
      return 'liftStackPolicy' in d ? d.liftStackPolicy : false;
    };
    expect(lift({ ...base, allowDestructive: true, applied: highDb, reviewed: ready([db]) })).toBe(true);
    expect(lift({ ...base, allowDestructive: false, applied: highDb, reviewed: ready([db]) })).toBe(false);
    // The same identities but only low risk (what a forged risk=high Description would claim otherwise).
    expect(
      lift({
        ...base,
        allowDestructive: true,
        applied: applied([db], [finding('low', 'DatabaseCluster')], 'low'),
        reviewed: ready([db]),
      }),
    ).toBe(false);
    // High risk without a reference: never lifted.
    expect(
      lift({ ...base, allowDestructive: true, applied: highDb, reviewed: { state: 'absent', name: 'cg' } }),
    ).toBe(false);
  });

  it('a refusal says what the review did not show', () => {
    const d = decideReview({
      ...base,
      applied: applied([db], [finding('high', 'DatabaseCluster', 'stateful-replacement')], 'high'),
      reviewed: ready([]),
    });
    expect(d.kind).toBe('refuse');
    expect(d.kind === 'refuse' && d.reason).toMatch(
      /carries high risk the review did not show \(high: stateful-replacement on DatabaseCluster\); the reviewed change set cg-1-.* differs from main/,
    );
  });
});

describe('the one "changed" rule', () => {
  const plan = { changes: [], templateDiff: '', parameters: [] };
  it.each([
    ['create', true],
    ['update', true],
    ['blocked', true],
    ['failed', true],
    ['no-changes', false],
    ['offline', false],
  ] as const)('a %s stack without diff → %s', (status, changed) => {
    expect(stackPlanChanged({ ...plan, status })).toBe(changed);
  });
  it('an offline stack with a template diff or a parameter change has changes; a region with any', () => {
    expect(stackPlanChanged({ ...plan, status: 'offline', templateDiff: '[+] AWS::S3::Bucket' })).toBe(true);
    expect(
      stackPlanChanged({
        ...plan,
        status: 'offline',
        parameters: [{ key: 'A', before: '1', after: '2', known: true }],
      }),
    ).toBe(true);
    expect(regionPlanChanged({ stacks: [], flux: [], dns: [], clusterVars: [] })).toBe(false);
    expect(changeSetChanges('no-changes')).toBe(false);
    expect(changeSetChanges('ready')).toBe(true);
  });
});
