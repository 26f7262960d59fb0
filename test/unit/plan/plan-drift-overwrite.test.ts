import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { resolveStackParameters } from '../../../src/gitops/resolve-source.js';
import type { GitopsConfig, RegionConfig } from '../../../src/gitops/types.js';
import { planStack } from '../../../src/plan/plan-stack.js';
import type { PlanReport } from '../../../src/plan/plan-types.js';
import { StackStateCache } from '../../../src/aws/cloudformation/stack-outputs.js';
import { renderPlanMarkdown } from '../../../src/report/plan-markdown.js';
import { MemoryLogger } from '../../../src/util/logger.js';

// Recorded shapes: DescribeStacks' DriftInformation (StackDriftInformation) and DescribeStackResourceDrifts,
// as the CloudFormation API reference gives them; the change set modifies the drifted security group.
const GITOPS = new URL('../../../gitops', import.meta.url).pathname;
const cfn = mockClient(CloudFormationClient);
const checkedAt = new Date('2026-12-01T07:45:00Z');
let config: GitopsConfig;
let hub: RegionConfig;

beforeAll(async () => {
  config = await loadGitops(GITOPS);
  hub = config.regions.find((r) => r.name === config.platform.hubRegion)!;
});
beforeEach(() => cfn.reset());

function deployed(drift: 'DRIFTED' | 'IN_SYNC') {
  const spec = hub.stacks.find((s) => s.name === 'network')!;
  const resolved = resolveStackParameters(spec, { config, region: hub, outputs: () => undefined });
  const params = Object.entries(resolved).flatMap(([k, r]) => (r.known ? [[k, r.value]] : []));
  return {
    Stacks: [
      {
        StackName: 'coderdemo-us-east-2-network',
        StackId: 'arn:aws:cloudformation:us-east-2:123456789012:stack/coderdemo-us-east-2-network/1a2b',
        StackStatus: 'UPDATE_COMPLETE' as const,
        CreationTime: new Date(),
        Parameters: params.map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })),
        Outputs: [],
        DriftInformation: { StackDriftStatus: drift, LastCheckTimestamp: checkedAt },
      },
    ],
  };
}

function changeSetModifying(logicalId: string) {
  cfn.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
  cfn.on(DescribeChangeSetCommand).resolves({
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Changes: [
      {
        Type: 'Resource',
        ResourceChange: {
          Action: 'Modify',
          LogicalResourceId: logicalId,
          PhysicalResourceId: 'sg-0a1b2c3d4e5f60718',
          ResourceType: 'AWS::EC2::SecurityGroup',
          Replacement: 'False',
          Scope: ['Properties'],
          Details: [
            {
              Target: { Attribute: 'Properties', Name: 'SecurityGroupIngress', RequiresRecreation: 'Never' },
              Evaluation: 'Static',
              ChangeSource: 'DirectModification',
            },
          ],
        },
      },
    ],
  });
}

async function plan() {
  const factory = new AwsClientFactory();
  return planStack({
    config,
    region: hub,
    spec: hub.stacks.find((s) => s.name === 'network')!,
    headSha: 'c'.repeat(40),
    aws: { factory, states: new StackStateCache(factory) },
    logger: new MemoryLogger(),
    sleep: async () => undefined,
  });
}

test('a plan on a drifted stack warns that the change set will overwrite the manual change, in the comment too', async () => {
  cfn.on(DescribeStacksCommand).resolves(deployed('DRIFTED'));
  cfn.on(DescribeStackResourceDriftsCommand).resolves({
    StackResourceDrifts: [
      {
        StackId: 'arn:aws:cloudformation:us-east-2:123456789012:stack/coderdemo-us-east-2-network/1a2b',
        LogicalResourceId: 'NatSecurityGroup',
        PhysicalResourceId: 'sg-0a1b2c3d4e5f60718',
        ResourceType: 'AWS::EC2::SecurityGroup',
        PropertyDifferences: [
          {
            PropertyPath: '/SecurityGroupIngress/0/CidrIp',
            ExpectedValue: '10.10.0.0/16',
            ActualValue: '0.0.0.0/0',
            DifferenceType: 'NOT_EQUAL',
          },
        ],
        StackResourceDriftStatus: 'MODIFIED',
        Timestamp: checkedAt,
      },
      {
        StackId: 'arn:aws:cloudformation:us-east-2:123456789012:stack/coderdemo-us-east-2-network/1a2b',
        LogicalResourceId: 'EndpointSecurityGroup',
        ResourceType: 'AWS::EC2::SecurityGroup',
        StackResourceDriftStatus: 'DELETED',
        Timestamp: checkedAt,
      },
    ],
  });
  changeSetModifying('NatSecurityGroup');
  const { plan: p, errors } = await plan();
  expect(errors).toEqual([]);
  expect(p.status).toBe('update');
  expect(p.lastDrift).toMatchObject({ status: 'DRIFTED', lastCheckedAt: checkedAt.toISOString() });
  const drift = p.findings.filter((f) => f.rule === 'manual-change-overwrite');
  expect(drift.map((f) => [f.level, f.message])).toEqual([
    [
      'medium',
      'the change set will overwrite these manual changes (drift detected 2026-12-01T07:45:00.000Z): NatSecurityGroup (AWS::EC2::SecurityGroup) /SecurityGroupIngress/0/CidrIp: Git 10.10.0.0/16, actual 0.0.0.0/0',
    ],
    [
      'low',
      'changed by hand, not touched by this change set (stays as it is) (drift detected 2026-12-01T07:45:00.000Z): EndpointSecurityGroup (AWS::EC2::SecurityGroup) deleted by hand',
    ],
  ]);
  expect(p.risk).not.toBe('none');
  // Read only: the plan role never starts a detection.
  expect(cfn.commandCalls(DetectStackDriftCommand)).toHaveLength(0);

  const report: PlanReport = {
    mode: 'online',
    headSha: 'c'.repeat(40),
    baseRef: 'main',
    account: [],
    regions: [
      {
        region: hub.name,
        enabled: true,
        stacks: [p],
        flux: [],
        dns: [],
        clusterVars: [],
        risk: p.risk,
        findings: [],
      },
    ],
    hasChanges: true,
    risk: p.risk,
    findings: [],
    errors: [],
    apiCalls: {},
    durationMs: 1,
  };
  const { markdown } = renderPlanMarkdown(report, { budget: 65_536, marker: '<!-- coder-gitops:plan -->' });
  expect(markdown).toContain('manual-change-overwrite');
  expect(markdown).toContain('the change set will overwrite these manual changes');
  expect(markdown).toContain('/SecurityGroupIngress/0/CidrIp');
});

test('a stack in sync gets no drift finding and no resource drift read', async () => {
  cfn.on(DescribeStacksCommand).resolves(deployed('IN_SYNC'));
  changeSetModifying('NatSecurityGroup');
  const { plan: p } = await plan();
  expect(p.lastDrift).toMatchObject({ status: 'IN_SYNC', resources: [] });
  expect(p.findings.map((f) => f.rule)).not.toContain('manual-change-overwrite');
  expect(cfn.commandCalls(DescribeStackResourceDriftsCommand)).toHaveLength(0);
});
