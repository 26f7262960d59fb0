import {
  CreateChangeSetCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ExecuteChangeSetCommand,
  waitUntilChangeSetCreateComplete,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import { GetHostedZoneCommand, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';

// A VPC and a subnet: types moto has no in-place update for, which is where outputs went missing.
const TEMPLATE = `
Parameters:
  Cidr: { Type: String }
  Label: { Type: String }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: !Ref Cidr, Tags: [{ Key: Name, Value: !Ref Label }] }
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: { VpcId: !Ref Vpc, CidrBlock: !Ref Cidr }
Outputs:
  VpcId: { Value: !Ref Vpc }
  SubnetId: { Value: !Ref Subnet }
  Label: { Value: !Ref Label }
`;

let moto: MotoServer;
let cfn: CloudFormationClient;
beforeAll(async () => {
  moto = await startMoto();
  cfn = new AwsClientFactory().cloudFormation('us-east-2');
});
afterAll(async () => {
  await moto.stop();
});

async function runChangeSet(type: 'CREATE' | 'UPDATE', name: string, params: Record<string, string>) {
  await cfn.send(
    new CreateChangeSetCommand({
      StackName: 'launcher-test',
      ChangeSetName: name,
      ChangeSetType: type,
      TemplateBody: TEMPLATE,
      Parameters: Object.entries(params).map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })),
    }),
  );
  await waitUntilChangeSetCreateComplete(
    { client: cfn, maxWaitTime: 30, minDelay: 1 },
    { StackName: 'launcher-test', ChangeSetName: name },
  );
  await cfn.send(new ExecuteChangeSetCommand({ StackName: 'launcher-test', ChangeSetName: name }));
  const out = await cfn.send(new DescribeStacksCommand({ StackName: 'launcher-test' }));
  const stack = out.Stacks![0]!;
  return {
    status: stack.StackStatus,
    params: Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue])),
    outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue])),
  };
}

test('a stack created and then updated through change sets reports its new parameters and outputs', async () => {
  const created = await runChangeSet('CREATE', 'cs-create', { Cidr: '10.1.0.0/16', Label: 'first' });
  expect(created.status).toBe('CREATE_COMPLETE');
  expect(created.params).toEqual({ Cidr: '10.1.0.0/16', Label: 'first' });
  expect(created.outputs.VpcId).toMatch(/^vpc-/);
  expect(created.outputs.SubnetId).toMatch(/^subnet-/);
  expect(created.outputs.Label).toBe('first');

  const updated = await runChangeSet('UPDATE', 'cs-update', { Cidr: '10.2.0.0/16', Label: 'second' });
  expect(updated.status).toBe('UPDATE_COMPLETE');
  expect(updated.params).toEqual({ Cidr: '10.2.0.0/16', Label: 'second' });
  // In-place update: same resources, outputs still there, the parameter-derived one changed.
  expect(updated.outputs).toEqual({
    VpcId: created.outputs.VpcId,
    SubnetId: created.outputs.SubnetId,
    Label: 'second',
  });
});

test('Fn::Cidr is computed as CloudFormation does', async () => {
  const body = `
Parameters:
  Cidr: { Type: String }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: !Ref Cidr }
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: { VpcId: !Ref Vpc, CidrBlock: !Select [10, !Cidr [!Ref Cidr, 32, 8]] }
Outputs:
  Eleventh: { Value: !Select [10, !Cidr [!Ref Cidr, 32, 8]] }
  TwoBlocks: { Value: !Join [',', !Cidr [!GetAtt Vpc.CidrBlock, 2, 12]] }
`;
  await cfn.send(
    new CreateChangeSetCommand({
      StackName: 'cidr-test',
      ChangeSetName: 'cs',
      ChangeSetType: 'CREATE',
      TemplateBody: body,
      Parameters: [{ ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16' }],
    }),
  );
  await cfn.send(new ExecuteChangeSetCommand({ StackName: 'cidr-test', ChangeSetName: 'cs' }));
  const out = await cfn.send(new DescribeStacksCommand({ StackName: 'cidr-test' }));
  const outputs = Object.fromEntries(
    (out.Stacks![0]!.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]),
  );
  expect(outputs).toEqual({ Eleventh: '10.1.10.0/24', TwoBlocks: '10.1.0.0/20,10.1.16.0/20' });
});

test('list parameters read back as CloudFormation shows them, and types moto lacks still give outputs', async () => {
  const body = `
Parameters:
  SubnetIds: { Type: CommaDelimitedList }
  ClusterName: { Type: String }
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties: { Name: !Ref ClusterName, RoleArn: arn:aws:iam::123456789012:role/x, ResourcesVpcConfig: { SubnetIds: !Ref SubnetIds } }
Outputs:
  Name: { Value: !Ref Cluster }
  Endpoint: { Value: !GetAtt Cluster.Endpoint }
  Issuer: { Value: !Select [1, !Split ["//", !GetAtt Cluster.OpenIdConnectIssuerUrl]] }
`;
  await cfn.send(
    new CreateChangeSetCommand({
      StackName: 'list-test',
      ChangeSetName: 'cs',
      ChangeSetType: 'CREATE',
      TemplateBody: body,
      Parameters: [
        { ParameterKey: 'SubnetIds', ParameterValue: 'subnet-a,subnet-b' },
        { ParameterKey: 'ClusterName', ParameterValue: 'demo-us-east-2' },
      ],
    }),
  );
  await cfn.send(new ExecuteChangeSetCommand({ StackName: 'list-test', ChangeSetName: 'cs' }));
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'list-test' }))).Stacks![0]!;
  expect(stack.StackStatus).toBe('CREATE_COMPLETE');
  expect(stack.Parameters).toContainEqual({ ParameterKey: 'SubnetIds', ParameterValue: 'subnet-a,subnet-b' });
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  expect(outputs.Name).toBe('demo-us-east-2');
  expect(outputs.Endpoint).toMatch(/^https:\/\//);
  expect(outputs.Issuer).toBe('demo-us-east-2.stand-in.invalid/id/demo-us-east-2');
});

test('a second CREATE change set joins the stack under review instead of making a second stack', async () => {
  const name = 'review-test';
  for (const cs of ['review-a', 'review-b']) {
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: name,
        ChangeSetName: cs,
        ChangeSetType: 'CREATE',
        TemplateBody: TEMPLATE,
        Parameters: [
          { ParameterKey: 'Cidr', ParameterValue: '10.3.0.0/16' },
          { ParameterKey: 'Label', ParameterValue: cs },
        ],
      }),
    );
  }
  await cfn.send(new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: 'review-b' }));
  const all = await cfn.send(new DescribeStacksCommand({}));
  const named = (all.Stacks ?? []).filter((s) => s.StackName === name);
  expect(named).toHaveLength(1);
  expect(named[0]!.StackStatus).toBe('CREATE_COMPLETE');
  expect(named[0]!.Outputs?.find((o) => o.OutputKey === 'Label')?.OutputValue).toBe('review-b');
});

test('an operation moto lacks answers NotImplemented (HTTP 501); a real not-found stays a real 404', async () => {
  const r53 = new AwsClientFactory({ maxAttempts: 1 }).route53();
  const missing = await r53
    .send(new TestDNSAnswerCommand({ HostedZoneId: 'Z1', RecordName: 'a.example', RecordType: 'A' }))
    .catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode?: number } });
  expect(missing).toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
  const zone = await r53
    .send(new GetHostedZoneCommand({ Id: 'ZNOSUCHZONE' }))
    .catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode?: number } });
  expect(zone).toMatchObject({ name: 'NoSuchHostedZone', $metadata: { httpStatusCode: 404 } });
  const drift = await cfn
    .send(new DetectStackDriftCommand({ StackName: 'launcher-test' }))
    .catch((e: unknown) => e as { name: string });
  expect(drift).toMatchObject({ name: 'NotImplemented' });
});
