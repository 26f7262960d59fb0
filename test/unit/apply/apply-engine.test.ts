import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  SetStackPolicyCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { runApply, type ApplyOptions } from '../../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { changeSetName, contentHash } from '../../../src/aws/cloudformation/change-set-identity.js';
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
      loadBalancer: { serviceNamespace: 'coder', serviceName: 'coder', listenerPorts: [443] },
      coder: { license: 'none' },
    },
    regions: [
      {
        file: 'regions/us-east-2.yaml',
        name: 'us-east-2',
        role: 'hub',
        coder: 'primary',
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

/** DescribeChangeSet answers by name (or id); anything else does not exist. */
let changeSets: Map<string, Record<string, unknown>>;

function answerChangeSets() {
  changeSets = new Map();
  cfnMock.on(DescribeChangeSetCommand).callsFake((input: { ChangeSetName: string }) => {
    const cs = changeSets.get(input.ChangeSetName);
    if (!cs) throw notFound();
    return cs;
  });
}

/** The reviewed change set (the plan's, a reference only) holds these changes. */
function reviewedHolds(changes: unknown, extra: Record<string, unknown> = {}) {
  const reviewed = changeSetName(REVIEWED, STACK);
  changeSets.set(reviewed, {
    ChangeSetName: reviewed,
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    Changes: changes,
    ...extra,
  });
  return reviewed;
}

/** Apply's own change set (created in the run, described by the id CreateChangeSet returns) holds these. */
function ownHolds(changes: unknown) {
  cfnMock.on(CreateChangeSetCommand).callsFake((input: { ChangeSetName: string }) => {
    const id = `arn:aws:cloudformation:us-east-2:123456789012:changeSet/${input.ChangeSetName}/1`;
    changeSets.set(id, { Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: changes });
    return { Id: id };
  });
}

const modifyCluster = [
  {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'DatabaseCluster',
      ResourceType: 'AWS::RDS::DBCluster',
      Replacement: 'False',
      Details: [{ Target: { Attribute: 'Properties', Name: 'EngineVersion' } }],
    },
  },
] as never;

function policies(): string[] {
  return cfnMock.commandCalls(SetStackPolicyCommand).map((c) => c.args[0].input.StackPolicyBody ?? '');
}

beforeEach(() => {
  answerChangeSets();
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: TEMPLATE });
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock.on(SetStackPolicyCommand).resolves({});
});

test('apply executes its own change set, by id, and says reviewed when it has the reviewed changes', async () => {
  const reviewed = reviewedHolds(replaceCluster);
  ownHolds(replaceCluster);
  const report = await runApply(options({ allowDestructive: true }));
  expect(report.errors).toEqual([]);
  expect(report.status).toBe('applied');
  const [stack] = report.applied;
  expect(stack).toMatchObject({
    result: 'updated',
    reviewed: true,
    decision: 'execute-reviewed',
    reviewedChangeSet: reviewed,
    risk: 'high',
    differences: [],
  });
  // A name nobody could choose beforehand: the commit, 16 hex of randomness, the stack.
  expect(stack!.changeSet).toMatch(new RegExp(`^ca-222222222222-[0-9a-f]{16}-${STACK}$`));
  const create = cfnMock.commandCalls(CreateChangeSetCommand)[0]!.args[0].input;
  expect(create).toMatchObject({
    ChangeSetName: stack!.changeSet,
    RoleARN: 'arn:aws:iam::123456789012:role/coderdemo-cloudformation',
    TemplateBody: TEMPLATE,
    Parameters: [{ ParameterKey: 'EngineVersion', ParameterValue: '16.6' }],
  });
  const executed = cfnMock.commandCalls(ExecuteChangeSetCommand).map((c) => c.args[0].input.ChangeSetName);
  expect(executed).toEqual([`arn:aws:cloudformation:us-east-2:123456789012:changeSet/${stack!.changeSet}/1`]);
  // High risk, allow-destructive and the same high-risk change reviewed: lifted for this change only.
  expect(policies()).toHaveLength(2);
  expect(policies()[0]).not.toMatch(/Deny/);
  expect(policies()[1]).toMatch(/"Deny".*Update:Replace.*AWS::RDS::DBCluster/);
  expect(report.stackOutputs['us-east-2']!.stacks.aurora).toEqual({ ClusterEndpoint: 'db.example' });
});

test('two runs never choose the same change set name', async () => {
  ownHolds(modifyCluster);
  const a = (await runApply(options())).applied[0]!.changeSet;
  const b = (await runApply(options())).applied[0]!.changeSet;
  expect(a).not.toBe(b);
});

test('a change riskier than reviewed (the review showed no replacement) is refused with what differs and how to re-plan', async () => {
  reviewedHolds(modifyCluster);
  ownHolds(replaceCluster);
  const report = await runApply(options({ allowDestructive: true }));
  expect(report.status).toBe('failed');
  const [stack] = report.applied;
  expect(stack).toMatchObject({ result: 'refused', decision: 'refuse', reviewed: false, risk: 'high' });
  expect(stack!.differences).toEqual([
    'Modify DatabaseCluster (AWS::RDS::DBCluster, replacement True): replacement False → True; no longer changes Properties.EngineVersion',
  ]);
  expect(stack!.message).toMatch(
    /carries high risk the review did not show \(high: AWS::RDS::DBCluster DatabaseCluster will be replaced/,
  );
  expect(stack!.message).toMatch(/re-run plan-region on 222222222222/);
  expect(cfnMock.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
});

test('a forged Description (risk=high) on the reviewed change set neither lifts the stack policy nor feeds any decision', async () => {
  reviewedHolds(modifyCluster, {
    Description: `coder-gitops plan hash=${contentHash(TEMPLATE, PARAMS)} risk=high head=${REVIEWED}`,
  });
  ownHolds(modifyCluster);
  const report = await runApply(options({ allowDestructive: true }));
  expect(report.applied[0]).toMatchObject({ result: 'updated', reviewed: true, risk: 'low' });
  expect(policies()).toHaveLength(1);
  expect(policies()[0]).toMatch(/Update:Delete/);
});

test('without allow-destructive the protective policy stays on while a reviewed high-risk change runs', async () => {
  reviewedHolds(replaceCluster);
  ownHolds(replaceCluster);
  await runApply(options());
  expect(policies()).toHaveLength(1);
  expect(policies()[0]).toMatch(/Update:Delete/);
});

test('without any reviewed change set, replacing the database is refused; its twin (an in-place change) runs', async () => {
  ownHolds(replaceCluster);
  const refused = await runApply(options({ reviewed: undefined }));
  expect(refused.applied[0]).toMatchObject({ result: 'refused', decision: 'refuse' });
  expect(refused.applied[0]!.message).toMatch(/no merged pull request for this commit/);

  cfnMock.reset();
  cfnMock.on(DescribeStacksCommand).resolves(deployed);
  cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
  answerChangeSets();
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: TEMPLATE });
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock.on(SetStackPolicyCommand).resolves({});
  ownHolds(modifyCluster);
  const twin = await runApply(options({ reviewed: undefined }));
  expect(twin.applied[0]).toMatchObject({
    result: 'updated',
    decision: 'execute-with-differences',
    reviewed: false,
  });
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
