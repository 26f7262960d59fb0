import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { detectStackDrift, failedResourcesOf } from '../../../src/drift/cfn-drift.js';

// Shapes from the CloudFormation API reference (DetectStackDrift, DescribeStackDriftDetectionStatus,
// DescribeStackResourceDrifts, ListStackResources / StackResourceDriftInformationSummary): unsupported
// resource types are left out of DescribeStackResourceDrifts and show NOT_CHECKED in ListStackResources.
const cfn = mockClient(CloudFormationClient);
const STACK = 'coderdemo-us-west-2-network';
const STACK_ID = `arn:aws:cloudformation:us-west-2:123456789012:stack/${STACK}/0b1c2d3e-4f50-11ef-9a1b-0a1b2c3d4e5f`;
const DETECTION = 'b78ac9b0-dec1-11e7-a451-503a3e3b7e1a';
const at = new Date('2026-12-01T08:00:00Z');

function status(over: Record<string, unknown>) {
  return {
    StackId: STACK_ID,
    StackDriftDetectionId: DETECTION,
    DetectionStatus: 'DETECTION_COMPLETE' as const,
    Timestamp: at,
    ...over,
  };
}

function summaries(...rows: [string, string, string][]) {
  return {
    StackResourceSummaries: rows.map(([id, type, drift]) => ({
      LogicalResourceId: id,
      PhysicalResourceId: `${id.toLowerCase()}-0a1b2c`,
      ResourceType: type,
      LastUpdatedTimestamp: at,
      ResourceStatus: 'CREATE_COMPLETE' as const,
      DriftInformation: { StackResourceDriftStatus: drift as 'IN_SYNC', LastCheckTimestamp: at },
    })),
  };
}

const run = () =>
  detectStackDrift({
    cfn: new CloudFormationClient({ region: 'us-west-2' }),
    stackName: STACK,
    sleep: async () => undefined,
    pollMs: 0,
  });

beforeEach(() => {
  cfn.reset();
  cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: DETECTION });
});

test('IN_SYNC: nothing drifted; a resource type without drift support is listed as not checked', async () => {
  cfn
    .on(DescribeStackDriftDetectionStatusCommand)
    .resolvesOnce(status({ DetectionStatus: 'DETECTION_IN_PROGRESS', DetectionStatusReason: undefined }))
    .resolves(status({ StackDriftStatus: 'IN_SYNC', DriftedStackResourceCount: 0 }));
  cfn
    .on(ListStackResourcesCommand)
    .resolves(
      summaries(['Vpc', 'AWS::EC2::VPC', 'IN_SYNC'], ['PrivateRoute0', 'AWS::EC2::Route', 'NOT_CHECKED']),
    );
  const r = await run();
  expect(r.status).toBe('in-sync');
  expect(r.drifted).toEqual([]);
  expect(r.notChecked).toEqual([
    expect.objectContaining({ logicalId: 'PrivateRoute0', type: 'AWS::EC2::Route', status: 'NOT_CHECKED' }),
  ]);
  expect(r.notChecked[0]!.reason).toMatch(/does not support drift detection/);
  expect(cfn.commandCalls(DescribeStackDriftDetectionStatusCommand)).toHaveLength(2);
  // Nothing drifted: no resource drifts read.
  expect(cfn.commandCalls(DescribeStackResourceDriftsCommand)).toHaveLength(0);
});

test('DRIFTED: each drifted resource with its property paths, expected and actual (all pages)', async () => {
  cfn
    .on(DescribeStackDriftDetectionStatusCommand)
    .resolves(status({ StackDriftStatus: 'DRIFTED', DriftedStackResourceCount: 2 }));
  cfn
    .on(DescribeStackResourceDriftsCommand)
    .resolvesOnce({
      NextToken: 'page-2',
      StackResourceDrifts: [
        {
          StackId: STACK_ID,
          LogicalResourceId: 'NatSecurityGroup',
          PhysicalResourceId: 'sg-0a1b2c3d4e5f60718',
          ResourceType: 'AWS::EC2::SecurityGroup',
          ExpectedProperties: '{"GroupDescription":"nat","SecurityGroupIngress":[{"CidrIp":"10.10.0.0/16"}]}',
          ActualProperties: '{"GroupDescription":"nat","SecurityGroupIngress":[{"CidrIp":"0.0.0.0/0"}]}',
          PropertyDifferences: [
            {
              PropertyPath: '/SecurityGroupIngress/0/CidrIp',
              ExpectedValue: '10.10.0.0/16',
              ActualValue: '0.0.0.0/0',
              DifferenceType: 'NOT_EQUAL',
            },
          ],
          StackResourceDriftStatus: 'MODIFIED',
          Timestamp: at,
        },
      ],
    })
    .resolves({
      StackResourceDrifts: [
        {
          StackId: STACK_ID,
          LogicalResourceId: 'S3Endpoint',
          PhysicalResourceId: 'vpce-0a1b2c3d',
          ResourceType: 'AWS::EC2::VPCEndpoint',
          StackResourceDriftStatus: 'DELETED',
          Timestamp: at,
        },
      ],
    });
  cfn.on(ListStackResourcesCommand).resolves(summaries(['Vpc', 'AWS::EC2::VPC', 'IN_SYNC']));
  const r = await run();
  expect(r.status).toBe('drifted');
  expect(r.checkedAt).toBe(at.toISOString());
  expect(r.drifted).toEqual([
    {
      logicalId: 'NatSecurityGroup',
      physicalId: 'sg-0a1b2c3d4e5f60718',
      type: 'AWS::EC2::SecurityGroup',
      status: 'MODIFIED',
      properties: [
        {
          path: '/SecurityGroupIngress/0/CidrIp',
          difference: 'NOT_EQUAL',
          expected: '10.10.0.0/16',
          actual: '0.0.0.0/0',
        },
      ],
    },
    {
      logicalId: 'S3Endpoint',
      physicalId: 'vpce-0a1b2c3d',
      type: 'AWS::EC2::VPCEndpoint',
      status: 'DELETED',
      properties: [],
    },
  ]);
  expect(cfn.commandCalls(DescribeStackResourceDriftsCommand)[0]!.args[0].input).toMatchObject({
    StackName: STACK,
    StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
  });
});

test('NOT_CHECKED stack: no resource supports detection, every one is listed as not checked', async () => {
  cfn
    .on(DescribeStackDriftDetectionStatusCommand)
    .resolves(status({ StackDriftStatus: 'NOT_CHECKED', DriftedStackResourceCount: 0 }));
  cfn
    .on(ListStackResourcesCommand)
    .resolves(
      summaries(
        ['HubRoute0', 'AWS::EC2::Route', 'NOT_CHECKED'],
        ['HubRoute1', 'AWS::EC2::Route', 'NOT_CHECKED'],
      ),
    );
  const r = await run();
  expect(r.status).toBe('in-sync');
  expect(r.notChecked.map((x) => x.logicalId)).toEqual(['HubRoute0', 'HubRoute1']);
});

test('a failed detection keeps the results of the resources that were checked and names the failed ones', async () => {
  const reason =
    'Failed to detect drift on resource [Cluster]: User: arn:aws:sts::123456789012:assumed-role/coderdemo-github-verify/x is not authorized to perform: eks:DescribeCluster';
  cfn.on(DescribeStackDriftDetectionStatusCommand).resolves(
    status({
      DetectionStatus: 'DETECTION_FAILED',
      DetectionStatusReason: reason,
      StackDriftStatus: 'DRIFTED',
    }),
  );
  cfn.on(DescribeStackResourceDriftsCommand).resolves({
    StackResourceDrifts: [
      {
        StackId: STACK_ID,
        LogicalResourceId: 'ClusterRole',
        ResourceType: 'AWS::IAM::Role',
        PhysicalResourceId: 'coderdemo-us-west-2-cluster',
        PropertyDifferences: [
          {
            PropertyPath: '/MaxSessionDuration',
            ExpectedValue: '3600',
            ActualValue: '43200',
            DifferenceType: 'NOT_EQUAL',
          },
        ],
        StackResourceDriftStatus: 'MODIFIED',
        Timestamp: at,
      },
    ],
  });
  cfn
    .on(ListStackResourcesCommand)
    .resolves(
      summaries(
        ['Cluster', 'AWS::EKS::Cluster', 'NOT_CHECKED'],
        ['ClusterRole', 'AWS::IAM::Role', 'MODIFIED'],
      ),
    );
  const r = await run();
  expect(r.status).toBe('failed');
  expect(r.reason).toBe(reason);
  expect(r.drifted.map((d) => d.logicalId)).toEqual(['ClusterRole']);
  expect(r.notChecked).toEqual([
    expect.objectContaining({
      logicalId: 'Cluster',
      reason: expect.stringMatching(/^detection failed: User: .*eks:DescribeCluster/),
    }),
  ]);
});

test('an emulator answering DetectStackDrift with HTTP 500 is "not available", not a failure', async () => {
  cfn.on(DetectStackDriftCommand).rejects(
    Object.assign(new Error('Internal Server Error'), {
      name: 'InternalFailure',
      $metadata: { httpStatusCode: 500 },
    }),
  );
  const r = await detectStackDrift({
    cfn: new CloudFormationClient({ region: 'us-west-2' }),
    stackName: STACK,
    endpointUrl: 'http://127.0.0.1:5000',
  });
  expect(r.status).toBe('not-available');
  expect(r.reason).toMatch(/not available in this emulator \(http:\/\/127\.0\.0\.1:5000/);
});

test('against AWS the same 500 is an error, and a stack that does not exist is reported as missing', async () => {
  cfn.on(DetectStackDriftCommand).rejects(
    Object.assign(new Error('Internal Server Error'), {
      name: 'InternalFailure',
      $metadata: { httpStatusCode: 500 },
    }),
  );
  expect((await run()).status).toBe('error');
  cfn
    .on(DetectStackDriftCommand)
    .rejects(Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }));
  expect(await run()).toMatchObject({ status: 'in-sync', missing: true });
});

test('a detection that never finishes ends with an error naming the stack', async () => {
  let t = 0;
  cfn
    .on(DescribeStackDriftDetectionStatusCommand)
    .resolves(status({ DetectionStatus: 'DETECTION_IN_PROGRESS' }));
  const r = await detectStackDrift({
    cfn: new CloudFormationClient({ region: 'us-west-2' }),
    stackName: STACK,
    timeoutMs: 30_000,
    pollMs: 5000,
    now: () => t,
    sleep: async (ms) => void (t += ms),
  });
  expect(r).toMatchObject({ status: 'error', reason: expect.stringMatching(/still in progress after 30 s/) });
});

test('failedResourcesOf reads the logical ids out of a DETECTION_FAILED reason', () => {
  expect([
    ...failedResourcesOf(
      'Failed to detect drift on resource [A]: denied; Failed to detect drift on resource [B]: x',
    ).keys(),
  ]).toEqual(['A', 'B']);
});
