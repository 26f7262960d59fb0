/**
 * The launcher's allow-list (moto-launcher.py points 9 and 10): CloudFormation refuses unknown AWS::
 * types and unknown Fn::GetAtt attributes when the change set is created, so the emulator must too;
 * and what moto accepts without doing it (stand-ins, no-op updates) is recorded for the sandbox report.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import {
  CreateChangeSetCommand,
  ExecuteChangeSetCommand,
  waitUntilChangeSetCreateComplete,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { summarizeLauncherEvents } from '../../src/sandbox/emulator-no-ops.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';

let moto: MotoServer;
let cfn: CloudFormationClient;
beforeAll(async () => {
  moto = await startMoto();
  cfn = new AwsClientFactory().cloudFormation('us-east-2');
});
afterAll(async () => {
  await moto.stop();
});

async function createChangeSet(
  stack: string,
  name: string,
  body: string,
  type: 'CREATE' | 'UPDATE' = 'CREATE',
  params: Record<string, string> = {},
) {
  await cfn.send(
    new CreateChangeSetCommand({
      StackName: stack,
      ChangeSetName: name,
      ChangeSetType: type,
      TemplateBody: body,
      Parameters: Object.entries(params).map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })),
    }),
  );
}

test('an AWS:: type CloudFormation does not have is refused with its message', async () => {
  const body = 'Resources:\n  Vpc:\n    Type: AWS::EC2::VPCX\n    Properties: { CidrBlock: 10.0.0.0/16 }\n';
  await expect(createChangeSet('typo-type', 'cs', body)).rejects.toThrow(
    'Template format error: Unrecognized resource types: [AWS::EC2::VPCX]',
  );
});

test('an attribute the type does not have is refused, in GetAtt and in Sub; real ones pass', async () => {
  const cluster =
    'Cluster:\n    Type: AWS::EKS::Cluster\n    Properties: { Name: c, RoleArn: arn:aws:iam::123456789012:role/x, ResourcesVpcConfig: { SubnetIds: [] } }\n';
  await expect(
    createChangeSet(
      'bad-att',
      'cs',
      `Resources:\n  ${cluster}Outputs:\n  X: { Value: !GetAtt Cluster.Endpointt }\n`,
    ),
  ).rejects.toThrow(
    'Template error: resource Cluster does not support attribute type Endpointt in Fn::GetAtt',
  );
  await expect(
    createChangeSet(
      'bad-sub',
      'cs',
      `Resources:\n  ${cluster}Outputs:\n  X: { Value: !Sub "https://\${Cluster.Issuer}" }\n`,
    ),
  ).rejects.toThrow('does not support attribute type Issuer');
  await expect(
    createChangeSet(
      'good-att',
      'cs',
      `Resources:\n  ${cluster}Outputs:\n  X: { Value: !GetAtt Cluster.Endpoint }\n  Y: { Value: !Sub "\${Cluster.OpenIdConnectIssuerUrl}" }\n`,
    ),
  ).resolves.toBeUndefined();
});

test('stand-ins and updates moto keeps as they were are recorded for the report', async () => {
  const body = `
Parameters:
  Label: { Type: String }
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties: { Name: !Ref Label, RoleArn: arn:aws:iam::123456789012:role/x, ResourcesVpcConfig: { SubnetIds: [] } }
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: 10.9.0.0/16, Tags: [{ Key: Name, Value: !Ref Label }] }
`;
  await createChangeSet('noop-test', 'create', body, 'CREATE', { Label: 'one' });
  await cfn.send(new ExecuteChangeSetCommand({ StackName: 'noop-test', ChangeSetName: 'create' }));
  await createChangeSet('noop-test', 'update', body, 'UPDATE', { Label: 'two' });
  await waitUntilChangeSetCreateComplete(
    { client: cfn, maxWaitTime: 30, minDelay: 1 },
    { StackName: 'noop-test', ChangeSetName: 'update' },
  );
  await cfn.send(new ExecuteChangeSetCommand({ StackName: 'noop-test', ChangeSetName: 'update' }));
  const summary = summarizeLauncherEvents(moto.events());
  expect(summary.standIns).toContainEqual({
    type: 'AWS::EKS::Cluster',
    stacks: expect.arrayContaining(['noop-test']) as string[],
  });
  expect(summary.noOpUpdates).toEqual(
    expect.arrayContaining([
      {
        stack: 'noop-test',
        logicalId: 'Cluster',
        type: 'AWS::EKS::Cluster',
        reason: 'moto does not emulate this type',
      },
      {
        stack: 'noop-test',
        logicalId: 'Vpc',
        type: 'AWS::EC2::VPC',
        reason: 'moto has no in-place update for this type',
      },
    ]),
  );
});

test('the allow-list is the CloudFormation spec in the dependencies (regenerate with scripts/generate-cfn-types.mjs)', () => {
  const require = createRequire(import.meta.url);
  const db = JSON.parse(
    gunzipSync(readFileSync(require.resolve('@aws-cdk/aws-service-spec/db.json.gz'))).toString('utf8'),
  ) as {
    schema: {
      resource: { entities: { cloudFormationType: string; attributes?: Record<string, unknown> }[] };
    };
  };
  const fromSpec = Object.fromEntries(
    db.schema.resource.entities
      .filter((r) => r.cloudFormationType.startsWith('AWS::'))
      .map((r) => [r.cloudFormationType, Object.keys(r.attributes ?? {}).sort()]),
  );
  const file = JSON.parse(readFileSync('src/sandbox/cfn-resource-types.json', 'utf8')) as {
    types: Record<string, string[]>;
  };
  expect(file.types).toEqual(fromSpec);
  expect(file.types['AWS::RDS::DBCluster']).toContain('Endpoint.Address');
});
