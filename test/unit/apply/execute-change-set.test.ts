import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import {
  executeChangeSet,
  recoverRolledBackCreate,
  waitForStackIdle,
} from '../../../src/aws/cloudformation/execute-change-set.js';
import { MemoryLogger } from '../../../src/util/logger.js';

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({ region: 'us-east-2' });
const STACK = 'coderdemo-us-east-2-aurora';
const T0 = Date.parse('2026-11-29T12:00:00Z');

function clock() {
  let t = T0;
  return { now: () => t, sleep: async (ms: number) => void (t += Math.max(ms, 1000)) };
}

function stack(status: string, reason?: string) {
  return {
    Stacks: [
      {
        StackName: STACK,
        StackId: `arn:${STACK}`,
        StackStatus: status,
        StackStatusReason: reason,
        CreationTime: new Date(T0),
      },
    ],
  } as never;
}

let n = 0;
function event(logicalId: string, type: string, status: string, reason?: string): StackEvent {
  n++;
  return {
    EventId: `e${n}`,
    StackId: `arn:${STACK}`,
    StackName: STACK,
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceStatus: status as never,
    ResourceStatusReason: reason,
    Timestamp: new Date(T0 + n * 1000),
  };
}

function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });
}

beforeEach(() => cfnMock.reset());

test('a failed update names the first failing resource and its reason, not the cancelled ones, and the final state', async () => {
  const c = clock();
  const events = [
    event(STACK, 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', 'User Initiated'),
    event('DatabaseCluster', 'AWS::RDS::DBCluster', 'UPDATE_IN_PROGRESS'),
    event(
      'DatabaseCluster',
      'AWS::RDS::DBCluster',
      'UPDATE_FAILED',
      'The engine version 99.1 is not supported (Service: Rds, Status Code: 400)',
    ),
    event('DatabaseSecret', 'AWS::SecretsManager::Secret', 'UPDATE_FAILED', 'Resource update cancelled'),
    event(
      STACK,
      'AWS::CloudFormation::Stack',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'The following resource(s) failed to update: [DatabaseCluster, DatabaseSecret].',
    ),
    event(STACK, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_COMPLETE'),
  ];
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock
    .on(DescribeStacksCommand)
    .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
    .resolves(stack('UPDATE_ROLLBACK_COMPLETE'));
  cfnMock
    .on(DescribeStackEventsCommand)
    .resolvesOnce({ StackEvents: events.slice(0, 2).reverse() })
    .resolves({ StackEvents: [...events].reverse() });
  const logger = new MemoryLogger();
  const result = await executeChangeSet({
    cfn,
    stackName: STACK,
    changeSetName: 'cg-abc',
    logger,
    timeoutMs: 60_000,
    ...c,
  });
  expect(result.ok).toBe(false);
  expect(result.finalStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(result.failure).toMatchObject({
    resource: 'DatabaseCluster',
    type: 'AWS::RDS::DBCluster',
    status: 'UPDATE_FAILED',
  });
  expect(result.message).toMatch(
    /failed at DatabaseCluster \(AWS::RDS::DBCluster\): The engine version 99\.1 is not supported.*stack is now UPDATE_ROLLBACK_COMPLETE/,
  );
  // Every event streamed once, in order, with its reason.
  const streamed = logger.lines.filter((l) => / \(AWS::/.test(l.message)).map((l) => l.message);
  expect(streamed).toHaveLength(events.length);
  expect(streamed[2]).toMatch(/DatabaseCluster \(AWS::RDS::DBCluster\) UPDATE_FAILED – The engine version/);
});

test('a create rolled back says the next run recreates the empty stack', async () => {
  const c = clock();
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock.on(DescribeStacksCommand).resolves(stack('ROLLBACK_COMPLETE'));
  cfnMock.on(DescribeStackEventsCommand).resolves({
    StackEvents: [
      event(STACK, 'AWS::CloudFormation::Stack', 'ROLLBACK_COMPLETE'),
      event('Vpc', 'AWS::EC2::VPC', 'CREATE_FAILED', 'The CIDR 10.0.0.0/8 is invalid'),
    ],
  });
  const result = await executeChangeSet({
    cfn,
    stackName: STACK,
    changeSetName: 'cg-abc',
    logger: new MemoryLogger(),
    timeoutMs: 60_000,
    ...c,
  });
  expect(result.failure?.resource).toBe('Vpc');
  expect(result.message).toMatch(
    /The CIDR 10\.0\.0\.0\/8 is invalid; stack is now ROLLBACK_COMPLETE.*deletes the empty stack and creates it again/,
  );
});

test('UPDATE_ROLLBACK_FAILED says ContinueUpdateRollback is needed', async () => {
  const c = clock();
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
  cfnMock
    .on(DescribeStacksCommand)
    .resolves(stack('UPDATE_ROLLBACK_FAILED', 'The following resource(s) failed to update: [Cluster]'));
  cfnMock.on(DescribeStackEventsCommand).resolves({
    StackEvents: [
      event(
        'Cluster',
        'AWS::EKS::Cluster',
        'UPDATE_FAILED',
        'Cluster is being deleted outside CloudFormation',
      ),
    ],
  });
  const result = await executeChangeSet({
    cfn,
    stackName: STACK,
    changeSetName: 'cg-abc',
    logger: new MemoryLogger(),
    timeoutMs: 60_000,
    ...c,
  });
  expect(result.ok).toBe(false);
  expect(result.finalStatus).toBe('UPDATE_ROLLBACK_FAILED');
  expect(result.message).toMatch(/continue-update-rollback --stack-name coderdemo-us-east-2-aurora/);
});

test('throttling on ExecuteChangeSet is retried and the execution goes on', async () => {
  const c = clock();
  cfnMock.on(ExecuteChangeSetCommand).rejectsOnce(throttling()).resolves({});
  cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_COMPLETE'));
  cfnMock.on(DescribeStackEventsCommand).rejectsOnce(throttling()).resolves({ StackEvents: [] });
  const result = await executeChangeSet({
    cfn,
    stackName: STACK,
    changeSetName: 'cg-abc',
    logger: new MemoryLogger(),
    timeoutMs: 60_000,
    ...c,
  });
  expect(result).toMatchObject({ ok: true, finalStatus: 'UPDATE_COMPLETE' });
  expect(cfnMock.commandCalls(ExecuteChangeSetCommand)).toHaveLength(2);
});

test('a stack held by another operation is waited for, then apply fails naming the operation', async () => {
  const c = clock();
  cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_IN_PROGRESS'));
  await expect(
    waitForStackIdle(cfn, STACK, {
      boundMs: 5 * 60_000,
      pollIntervalMs: 30_000,
      logger: new MemoryLogger(),
      ...c,
    }),
  ).rejects.toThrow(
    /coderdemo-us-east-2-aurora is held by another operation \(UPDATE_IN_PROGRESS\) and stayed so for 300 s; nothing was executed/,
  );
  expect(c.now() - T0).toBeGreaterThanOrEqual(5 * 60_000);
});

test('a stack whose other operation finishes within the bound is returned idle', async () => {
  const c = clock();
  cfnMock
    .on(DescribeStacksCommand)
    .resolvesOnce(stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'))
    .resolves(stack('UPDATE_COMPLETE'));
  const state = await waitForStackIdle(cfn, STACK, {
    boundMs: 60_000,
    pollIntervalMs: 5000,
    logger: new MemoryLogger(),
    ...c,
  });
  expect(state.status).toBe('UPDATE_COMPLETE');
});

test('a rolled-back create is deleted only when it holds nothing', async () => {
  const c = clock();
  cfnMock.on(DescribeStackResourcesCommand).resolves({
    StackResources: [
      {
        LogicalResourceId: 'Vpc',
        ResourceType: 'AWS::EC2::VPC',
        ResourceStatus: 'DELETE_COMPLETE',
        Timestamp: new Date(T0),
      },
    ],
  });
  cfnMock.on(DeleteStackCommand).resolves({});
  cfnMock
    .on(DescribeStacksCommand)
    .resolvesOnce(stack('DELETE_IN_PROGRESS'))
    .resolves(stack('DELETE_COMPLETE'));
  await recoverRolledBackCreate(cfn, STACK, { logger: new MemoryLogger(), timeoutMs: 60_000, ...c });
  expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(1);

  cfnMock.reset();
  cfnMock.on(DescribeStackResourcesCommand).resolves({
    StackResources: [
      {
        LogicalResourceId: 'Bucket',
        ResourceType: 'AWS::S3::Bucket',
        ResourceStatus: 'DELETE_FAILED',
        Timestamp: new Date(T0),
      },
    ],
  });
  await expect(
    recoverRolledBackCreate(cfn, STACK, { logger: new MemoryLogger(), timeoutMs: 60_000, ...c }),
  ).rejects.toThrow(/still holds Bucket \(AWS::S3::Bucket, DELETE_FAILED\); not deleting it automatically/);
  expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
});
