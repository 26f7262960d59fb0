import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { accountRegion } from '../../../src/gitops/resolve-source.js';
import { planStack } from '../../../src/plan/plan-stack.js';
import { StackStateCache } from '../../../src/aws/cloudformation/stack-outputs.js';
import { MemoryLogger } from '../../../src/util/logger.js';

const GITOPS = new URL('../../../gitops', import.meta.url).pathname;
const cfn = mockClient(CloudFormationClient);

beforeEach(() => {
  cfn.reset();
  const missing = Object.assign(new Error('Stack with id x does not exist'), { name: 'ValidationError' });
  cfn.on(DescribeStacksCommand).rejects(missing);
  cfn.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
  cfn
    .on(DescribeChangeSetCommand)
    .resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
});

test('regional change sets run as the CloudFormation role; the account stack (applied by a person) does not', async () => {
  const config = await loadGitops(GITOPS);
  const factory = new AwsClientFactory();
  const states = new StackStateCache(factory);
  const hub = config.regions.find((r) => r.name === config.platform.hubRegion)!;
  const regional = hub.stacks.find((s) => s.name === 'certificates')!;
  await planStack({
    config,
    region: hub,
    spec: regional,
    headSha: 'a'.repeat(40),
    aws: { factory, states },
    logger: new MemoryLogger(),
    sleep: async () => undefined,
  });
  const account = config.platform.account.stacks[0]!;
  await planStack({
    config,
    region: accountRegion(config),
    spec: account,
    headSha: 'a'.repeat(40),
    aws: { factory, states },
    logger: new MemoryLogger(),
    sleep: async () => undefined,
  });
  const calls = cfn.commandCalls(CreateChangeSetCommand).map((c) => c.args[0].input);
  expect(calls.find((c) => c.StackName === 'coderdemo-us-east-2-certificates')?.RoleARN).toBe(
    `arn:aws:iam::${config.platform.accountId}:role/${config.platform.project}-cloudformation`,
  );
  expect(calls.find((c) => c.StackName === 'coderdemo-us-east-2-github-oidc')?.RoleARN).toBeUndefined();
});
