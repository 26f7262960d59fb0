import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  SetStackPolicyCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { runApply, type ApplyOptions } from '../../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import {
  changeSetName,
  contentHash,
  formatChangeSetDescription,
} from '../../../src/aws/cloudformation/change-set-identity.js';
import type { GitopsConfig } from '../../../src/gitops/types.js';
import { MemoryLogger } from '../../../src/util/logger.js';

const cfnMock = mockClient(CloudFormationClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

const TEMPLATE =
  'Parameters:\n  EngineVersion: { Type: String }\nResources:\n  DatabaseCluster:\n    Type: AWS::RDS::DBCluster\n';
const PARAMS = { EngineVersion: '16.6' };
const STACK = 'coderdemo-us-east-2-aurora';
const REVIEWED = '1'.repeat(40);
const MERGE = '2'.repeat(40);

function config(): GitopsConfig {
  return {
    dir: '/gitops',
    platform: {
      file: 'platform.yaml',
      project: 'coderdemo',
      domain: 'coderdemo.io',
      accountId: '123456789012',
      hostedZoneId: 'Z1',
      hubRegion: 'us-east-2',
      github: { repository: 'o/r', branch: 'main' },
      flux: { version: 'v2.6.4' },
      account: { region: 'us-east-2', stacks: [] },
      vantagePoints: [],
      thresholds: {
        tlsWarnDays: 21,
        tlsFailDays: 7,
        coldStartBudgetMs: 1,
        warmP95BudgetMs: 1,
        warmRequests: 1,
        httpTimeoutMs: 1,
      },
      coldStart: { path: '/' },
      loadBalancer: { serviceNamespace: 'coder', serviceName: 'coder' },
      coder: { license: 'none' },
    },
    regions: [
      {
        file: 'regions/us-east-2.yaml',
        name: 'us-east-2',
        role: 'hub',
        enabled: true,
        wave: 1,
        vpcCidr: '10.0.0.0/16',
        stacks: [
          {
            name: 'aurora',
            template: 'aurora',
            dependsOn: [],
            parameters: { EngineVersion: { kind: 'literal', value: '16.6' } },
          },
        ],
        clusterVars: {},
      },
    ],
    templates: new Map([['aurora', TEMPLATE]]),
  };
}

function options(over: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    config: config(),
    gitopsDir: '/gitops',
    regions: ['us-east-2'],
    headSha: MERGE,
    reviewed: { prNumber: 7, headSha: REVIEWED },
    dryRun: false,
    dns: 'promote',
    cluster: 'skip',
    allowDestructive: false,
    timeoutMinutes: 5,
    verify: {},
    aws: new AwsClientFactory({ maxAttempts: 1 }),
    logger: new MemoryLogger(),
    sleep: () => Promise.resolve(),
    pollIntervalMs: 0,
    ...over,
  };
}

const deployed = {
  Stacks: [
    {
      StackName: STACK,
      StackId: `arn:${STACK}`,
      StackStatus: 'UPDATE_COMPLETE',
      CreationTime: new Date(),
      Parameters: [{ ParameterKey: 'EngineVersion', ParameterValue: '16.4' }],
      Outputs: [{ OutputKey: 'ClusterEndpoint', OutputValue: 'db.example' }],
    },
  ],
} as never;

const replaceCluster = [
  {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'DatabaseCluster',
      ResourceType: 'AWS::RDS::DBCluster',
      Replacement: 'True',
      Details: [],
    },
  },
] as never;

function notFound(): Error {
  return Object.assign(new Error('ChangeSet [x] does not exist'), { name: 'ChangeSetNotFoundException' });
}

beforeEach(() => {
  cfnMock.reset();
  elbMock.reset();
  cfnMock.on(DescribeStacksCommand).resolves(deployed);
  cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
  cfnMock.on(DescribeChangeSetCommand).rejects(notFound());
  elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });
});

test('a change set made at apply time that replaces the database is refused when the plan reviewed less risk', async () => {
  // The plan's change set exists but for other content (the template changed after review), reviewed as low.
  cfnMock.on(DescribeChangeSetCommand, { ChangeSetName: changeSetName(REVIEWED, STACK) }).resolves({
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Description: formatChangeSetDescription({ hash: 'f'.repeat(32), risk: 'low', head: REVIEWED }),
  });
  const fresh = changeSetName(MERGE, STACK).replace(/^cg-/, 'ca-');
  cfnMock.on(DescribeChangeSetCommand, { ChangeSetName: fresh }).rejectsOnce(notFound()).resolves({
    ChangeSetName: fresh,
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Changes: replaceCluster,
  });
  cfnMock.on(CreateChangeSetCommand).resolves({ Id: `arn:${fresh}` });

  const report = await runApply(options());
  expect(report.status).toBe('failed');
  const [stack] = report.applied;
  expect(stack).toMatchObject({
    stack: 'aurora',
    result: 'refused',
    changeSet: fresh,
    risk: 'high',
    reviewed: false,
  });
  expect(stack!.message).toMatch(
    /carries high risk \(replaces DatabaseCluster \(AWS::RDS::DBCluster\)\), more than the reviewed plan \(low risk\)/,
  );
  expect(stack!.message).toMatch(/re-run plan-region on 222222222222/);
  expect(cfnMock.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
});

test('the reviewed change set is executed when its hash matches; high risk + allow-destructive lifts the stack policy for it only', async () => {
  const reviewed = changeSetName(REVIEWED, STACK);
  cfnMock.on(DescribeChangeSetCommand, { ChangeSetName: reviewed }).resolves({
    ChangeSetName: reviewed,
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Description: formatChangeSetDescription({
      hash: contentHash(TEMPLATE, PARAMS),
      risk: 'high',
      head: REVIEWED,
    }),
    Changes: replaceCluster,
  });
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock.on(SetStackPolicyCommand).resolves({});

  const report = await runApply(options({ allowDestructive: true }));
  expect(report.status).toBe('applied');
  expect(report.applied[0]).toMatchObject({
    result: 'updated',
    changeSet: reviewed,
    reviewed: true,
    risk: 'high',
  });
  expect(cfnMock.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input.ChangeSetName).toBe(reviewed);
  expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  const policies = cfnMock
    .commandCalls(SetStackPolicyCommand)
    .map((c) => c.args[0].input.StackPolicyBody ?? '');
  expect(policies).toHaveLength(2);
  expect(policies[0]).not.toMatch(/Deny/);
  expect(policies[1]).toMatch(/"Deny".*Update:Replace.*AWS::RDS::DBCluster/);
  expect(report.stackOutputs['us-east-2']!.stacks.aurora).toEqual({ ClusterEndpoint: 'db.example' });
});

test('without allow-destructive the protective policy stays on while the reviewed change set runs', async () => {
  const reviewed = changeSetName(REVIEWED, STACK);
  cfnMock.on(DescribeChangeSetCommand, { ChangeSetName: reviewed }).resolves({
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Description: formatChangeSetDescription({
      hash: contentHash(TEMPLATE, PARAMS),
      risk: 'high',
      head: REVIEWED,
    }),
    Changes: replaceCluster,
  });
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock.on(SetStackPolicyCommand).resolves({});
  await runApply(options());
  const policies = cfnMock
    .commandCalls(SetStackPolicyCommand)
    .map((c) => c.args[0].input.StackPolicyBody ?? '');
  expect(policies).toHaveLength(1);
  expect(policies[0]).toMatch(/Update:Delete/);
});

test('a stack left in UPDATE_ROLLBACK_FAILED stops the region with what to do', async () => {
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: STACK, StackStatus: 'UPDATE_ROLLBACK_FAILED', CreationTime: new Date() }],
  } as never);
  const report = await runApply(options());
  expect(report.status).toBe('failed');
  expect(report.errors[0]).toMatch(/UPDATE_ROLLBACK_FAILED.*continue-update-rollback/);
  expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
});

test('an unknown region is an input error naming the known ones', async () => {
  await expect(runApply(options({ regions: ['eu-north-1'] }))).rejects.toThrow(
    /input 'region': eu-north-1 is not declared under regions\/ \(known: us-east-2\)/,
  );
});
