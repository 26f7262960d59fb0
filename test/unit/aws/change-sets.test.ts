import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  type DescribeChangeSetCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import {
  contentHash,
  formatChangeSetDescription,
} from '../../../src/aws/cloudformation/change-set-identity.js';
import { createChangeSet, type ChangeSetRequest } from '../../../src/aws/cloudformation/change-sets.js';
import { describeStackState } from '../../../src/aws/cloudformation/stack-state.js';

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({ region: 'us-east-2' });
const HEAD = '0123456789abcdef0123456789abcdef01234567';
const NAME = 'cg-0123456789ab-coderdemo-us-east-2-aurora';
const STACK = 'coderdemo-us-east-2-aurora';

function recorded(name: string): DescribeChangeSetCommandOutput {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/change-sets/${name}.json`, import.meta.url), 'utf8'),
  ) as DescribeChangeSetCommandOutput;
}

function notFound() {
  return Object.assign(new Error(`ChangeSet [${NAME}] does not exist`), {
    name: 'ChangeSetNotFoundException',
  });
}

function request(over: Partial<ChangeSetRequest> = {}): ChangeSetRequest {
  const templateBody = 'Resources: {}';
  const parameters = { VpcId: 'vpc-1' };
  return {
    cfn,
    stackName: STACK,
    templateBody,
    parameters,
    name: NAME,
    description: formatChangeSetDescription({ hash: contentHash(templateBody, parameters), head: HEAD }),
    exists: true,
    existing: 'replace',
    sleep: async () => {},
    ...over,
  };
}

beforeEach(() => cfnMock.reset());

describe('createChangeSet', () => {
  it('creates an UPDATE change set with both capabilities, waits, and reads every page with property values', async () => {
    const full = recorded('aurora-replacement');
    const [first, second] = [full.Changes!.slice(0, 2), full.Changes!.slice(2)];
    cfnMock
      .on(DescribeChangeSetCommand)
      .rejectsOnce(notFound())
      .resolvesOnce({ Status: 'CREATE_IN_PROGRESS' })
      .resolvesOnce({ ...full, Changes: first, NextToken: 'page-2' })
      .resolvesOnce({ Changes: second });
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    const sleeps: number[] = [];
    const out = await createChangeSet(request({ sleep: async (ms) => void sleeps.push(ms) }));

    expect(out.status).toBe('ready');
    expect(out.id).toBe('arn:cs');
    expect(out.changes.map((c) => c.ResourceChange?.LogicalResourceId)).toEqual([
      'DatabaseCluster',
      'DatabaseInstance',
      'DatabaseSecurityGroup',
    ]);
    const create = cfnMock.commandCalls(CreateChangeSetCommand)[0]!.args[0].input;
    expect(create).toMatchObject({
      StackName: STACK,
      ChangeSetName: NAME,
      ChangeSetType: 'UPDATE',
      Capabilities: ['CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      Parameters: [{ ParameterKey: 'VpcId', ParameterValue: 'vpc-1' }],
    });
    expect(create.Description).toMatch(/^coder-gitops plan head=0123\S+ hash=[0-9a-f]{32}$/);
    const describes = cfnMock.commandCalls(DescribeChangeSetCommand).map((c) => c.args[0].input);
    expect(describes.every((d) => d.IncludePropertyValues === true)).toBe(true);
    expect(describes[3]!.NextToken).toBe('page-2');
    expect(sleeps).toEqual([1000]);
  });

  it('uses CREATE for a stack that was never deployed', async () => {
    cfnMock
      .on(DescribeChangeSetCommand)
      .rejectsOnce(notFound())
      .resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    await createChangeSet(request({ exists: false }));
    expect(cfnMock.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.ChangeSetType).toBe('CREATE');
  });

  it('never reuses a change set found under the name, whatever its Description says: it is replaced', async () => {
    const req = request();
    const hash = contentHash(req.templateBody, req.parameters);
    cfnMock
      .on(DescribeChangeSetCommand)
      .resolvesOnce({
        ...recorded('aurora-replacement'),
        ChangeSetId: 'arn:planted',
        Description: formatChangeSetDescription({ hash, head: HEAD }),
      })
      .resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
    cfnMock.on(DeleteChangeSetCommand).resolves({});
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:fresh' });
    const out = await createChangeSet(req);
    expect(out).toMatchObject({ status: 'ready', id: 'arn:fresh', changes: [] });
    expect(cfnMock.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input.ChangeSetName).toBe('arn:planted');
    // Waited on and described by the id CreateChangeSet returned, not by the name.
    const after = cfnMock.commandCalls(DescribeChangeSetCommand).slice(1);
    expect(after.every((c) => c.args[0].input.ChangeSetName === 'arn:fresh')).toBe(true);
  });

  it("with existing: 'refuse' a change set already under the name is an error and nothing is created", async () => {
    cfnMock.on(DescribeChangeSetCommand).resolves({ ChangeSetId: 'arn:planted', Status: 'CREATE_COMPLETE' });
    await expect(createChangeSet(request({ existing: 'refuse' }))).rejects.toThrow(
      /already exists.*only executes change sets it created in this run/,
    );
    expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
    expect(cfnMock.commandCalls(DeleteChangeSetCommand)).toHaveLength(0);
  });

  it('replaces a change set made from other content (or stale) by a new one', async () => {
    cfnMock
      .on(DescribeChangeSetCommand)
      .resolvesOnce({
        ChangeSetId: 'arn:old',
        Status: 'CREATE_COMPLETE',
        ExecutionStatus: 'AVAILABLE',
        Description: formatChangeSetDescription({ hash: 'f'.repeat(32), head: HEAD }),
      })
      .resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
    cfnMock.on(DeleteChangeSetCommand).resolves({});
    cfnMock
      .on(CreateChangeSetCommand)
      .rejectsOnce(Object.assign(new Error('ChangeSet exists'), { name: 'AlreadyExistsException' }))
      .resolves({ Id: 'arn:new' });
    const out = await createChangeSet(request());
    expect(out.id).toBe('arn:new');
    expect(cfnMock.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input.ChangeSetName).toBe('arn:old');
    expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(2);
  });

  it('a "no changes" FAILED change set is a no-op, not an error', async () => {
    cfnMock.on(DescribeChangeSetCommand).rejectsOnce(notFound()).resolves(recorded('no-changes'));
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    const out = await createChangeSet(request());
    expect(out.status).toBe('no-changes');
    expect(out.changes).toEqual([]);
  });

  it('any other FAILED change set is failed, with the reason CloudFormation gave', async () => {
    cfnMock.on(DescribeChangeSetCommand).rejectsOnce(notFound()).resolves({
      Status: 'FAILED',
      StatusReason: 'Template format error: Unresolved resource dependencies [Vpc]',
    });
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    const out = await createChangeSet(request());
    expect(out).toMatchObject({
      status: 'failed',
      reason: 'Template format error: Unresolved resource dependencies [Vpc]',
    });
  });

  it('an API failure names the stack (wrapped once)', async () => {
    cfnMock.on(DescribeChangeSetCommand).rejects(notFound());
    cfnMock.on(CreateChangeSetCommand).rejects(
      Object.assign(new Error('not authorized to perform cloudformation:CreateChangeSet'), {
        name: 'AccessDenied',
      }),
    );
    await expect(createChangeSet(request())).rejects.toThrow(
      `could not create change set for ${STACK}: AccessDenied: not authorized to perform cloudformation:CreateChangeSet`,
    );
  });
});

describe('describeStackState', () => {
  it('a stack that does not exist is a state, not an error', async () => {
    cfnMock
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }),
      );
    expect(await describeStackState(cfn, STACK)).toMatchObject({
      exists: false,
      needsCreate: true,
      outputs: {},
    });
  });

  it('reads outputs, parameters, in-progress and review-in-progress states', async () => {
    cfnMock
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [
          {
            StackName: STACK,
            CreationTime: new Date(),
            StackStatus: 'UPDATE_IN_PROGRESS',
            Outputs: [{ OutputKey: 'ClusterEndpoint', OutputValue: 'db.example' }],
            Parameters: [{ ParameterKey: 'VpcId', ParameterValue: 'vpc-1' }],
          },
        ],
      })
      .resolvesOnce({
        Stacks: [{ StackName: STACK, CreationTime: new Date(), StackStatus: 'REVIEW_IN_PROGRESS' }],
      });
    expect(await describeStackState(cfn, STACK)).toMatchObject({
      exists: true,
      inProgress: true,
      needsCreate: false,
      outputs: { ClusterEndpoint: 'db.example' },
      parameters: { VpcId: 'vpc-1' },
    });
    expect(await describeStackState(cfn, STACK)).toMatchObject({
      exists: true,
      inProgress: false,
      needsCreate: true,
    });
  });
});
