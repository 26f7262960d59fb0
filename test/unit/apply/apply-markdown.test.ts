import type { ApplyReport } from '../../../src/apply/apply-types.js';
import { renderApplyMarkdown, renderApplyTerminal } from '../../../src/report/apply-markdown.js';

function report(): ApplyReport {
  return {
    status: 'failed',
    headSha: 'abcdef0123456789abcdef0123456789abcdef01',
    reviewed: { prNumber: 42, headSha: '1234567890ab1234567890ab1234567890ab1234' },
    dryRun: false,
    dns: 'promote',
    account: false,
    regions: [
      {
        region: 'us-east-2',
        status: 'no-changes',
        stacks: [
          {
            region: 'us-east-2',
            deployRegion: 'us-east-2',
            stack: 'network',
            stackName: 'coderdemo-us-east-2-network',
            reviewed: false,
            result: 'no-changes',
            changes: [],
            durationMs: 120,
          },
        ],
        cluster: { status: 'skipped', reason: 'cluster: skip' },
        dns: {
          mode: 'promote',
          status: 'skipped',
          changes: [],
          reason: 'no load balancer tagged service.k8s.aws/stack=coder/coder yet',
        },
        durationMs: 500,
      },
      {
        region: 'us-west-2',
        status: 'failed',
        stacks: [
          {
            region: 'us-west-2',
            deployRegion: 'us-west-2',
            stack: 'aurora',
            stackName: 'coderdemo-us-west-2-aurora',
            reviewed: false,
            result: 'refused',
            changeSet: 'ca-abcdef012345-0123456789abcdef-coderdemo-us-west-2-aurora',
            reviewedChangeSet: 'cg-1234567890ab-coderdemo-us-west-2-aurora',
            decision: 'refuse',
            differences: [
              'Modify DatabaseCluster (AWS::RDS::DBCluster, replacement True): replacement False → True',
            ],
            risk: 'high',
            changes: ['Modify DatabaseCluster (AWS::RDS::DBCluster, replacement)'],
            message: 'not applied: this change set carries high risk | more than the reviewed plan',
            durationMs: 4200,
          },
          {
            region: 'us-west-2',
            deployRegion: 'us-west-2',
            stack: 'dns',
            stackName: 'coderdemo-us-west-2-dns',
            reviewed: false,
            result: 'not-reached',
            changes: [],
            durationMs: 0,
          },
        ],
        cluster: { status: 'skipped', reason: '' },
        error: 'coderdemo-us-west-2-aurora: not applied',
        durationMs: 4300,
      },
    ],
    applied: [],
    stackOutputs: {},
    errors: ['us-west-2: coderdemo-us-west-2-aurora: not applied: this change set carries high risk'],
    apiCalls: {},
    durationMs: 4800,
  };
}

test('the job summary leads with the outcome and what failed, then regions and every stack', () => {
  const md = renderApplyMarkdown(report());
  expect(md.startsWith('## ❌ apply-region: failed\n')).toBe(true);
  expect(md).toContain('reviewed in pull request #42 at `1234567890ab`');
  expect(md.indexOf('### What failed')).toBeLessThan(md.indexOf('| region | status |'));
  expect(md).toContain(
    '| us-west-2 | `coderdemo-us-west-2-aurora` | ⛔ refused | `ca-abcdef012345-0123456789abcdef-coderdemo-us-west-2-aurora` | reviewed: false (1 difference) (high) | 4.2 s |',
  );
  expect(md).toContain(
    'Differs from the reviewed change set `cg-1234567890ab-coderdemo-us-west-2-aurora`:\n\n- Modify DatabaseCluster (AWS::RDS::DBCluster, replacement True): replacement False → True',
  );
  expect(md).toContain('⏸️ not-reached');
  // A pipe in a message cannot break the table or the details.
  expect(md).toContain('high risk \\| more than');
  expect(md).toContain('- us-east-2: no load balancer tagged');
});

test('the terminal table lists each stack with its result', () => {
  const text = renderApplyTerminal(report());
  expect(text.split('\n')[0]).toBe('apply: failed (4.8 s)');
  expect(text).toMatch(
    /us-west-2 +coderdemo-us-west-2-aurora +refused +false +ca-abcdef012345-0123456789abcdef-coderdemo-us-west-2-aurora +4\.2 s/,
  );
  expect(text).toContain('error: us-west-2: coderdemo-us-west-2-aurora: not applied');
});
