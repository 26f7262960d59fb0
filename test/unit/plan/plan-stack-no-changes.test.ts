import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { resolveStackParameters } from '../../../src/gitops/resolve-source.js';
import type { GitopsConfig, RegionConfig } from '../../../src/gitops/types.js';
import { planStack } from '../../../src/plan/plan-stack.js';
import { StackStateCache } from '../../../src/aws/cloudformation/stack-outputs.js';
import { MemoryLogger } from '../../../src/util/logger.js';

const GITOPS = new URL('../../../gitops', import.meta.url).pathname;
const cfn = mockClient(CloudFormationClient);
let config: GitopsConfig;
let hub: RegionConfig;

beforeAll(async () => {
  config = await loadGitops(GITOPS);
  hub = config.regions.find((r) => r.name === config.platform.hubRegion)!;
});
beforeEach(() => cfn.reset());

/** The hub's network stack as deployed: its resolved parameters, the template defaults left unset. */
function deployed(extra: Record<string, string> = {}) {
  const spec = hub.stacks.find((s) => s.name === 'network')!;
  const resolved = resolveStackParameters(spec, { config, region: hub, outputs: () => undefined });
  const params = Object.entries(resolved).flatMap(([k, r]) => (r.known ? [[k, r.value]] : []));
  return {
    Stacks: [
      {
        StackName: 'coderdemo-us-east-2-network',
        StackStatus: 'CREATE_COMPLETE' as const,
        CreationTime: new Date(),
        // CloudFormation lists every parameter, those left at their Default too.
        Parameters: [...params, ['NatInstanceType', 't4g.nano'], ...Object.entries(extra)].map(([k, v]) => ({
          ParameterKey: k,
          ParameterValue: v,
        })),
        Outputs: [],
      },
    ],
  };
}

async function plan() {
  const factory = new AwsClientFactory();
  return planStack({
    config,
    region: hub,
    spec: hub.stacks.find((s) => s.name === 'network')!,
    headSha: 'b'.repeat(40),
    aws: { factory, states: new StackStateCache(factory) },
    logger: new MemoryLogger(),
    sleep: async () => undefined,
  });
}

test('CloudFormation refusing an unchanged stack at CreateChangeSet is "no changes", not an error', async () => {
  cfn.on(DescribeStacksCommand).resolves(deployed());
  cfn.on(GetTemplateCommand).resolves({ TemplateBody: config.templates.get('network') });
  cfn
    .on(DescribeChangeSetCommand)
    .rejects(Object.assign(new Error('ChangeSet not found'), { name: 'ChangeSetNotFound' }));
  cfn
    .on(CreateChangeSetCommand)
    .rejects(Object.assign(new Error('No updates are to be performed.'), { name: 'ValidationError' }));
  const { plan: p, errors } = await plan();
  expect(errors).toEqual([]);
  expect(p.status).toBe('no-changes');
  expect(p.changeSetName).toBeUndefined();
});

test('a parameter left at its template default is not shown as a change', async () => {
  cfn.on(DescribeStacksCommand).resolves(deployed());
  cfn
    .on(DescribeChangeSetCommand)
    .resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
  cfn.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
  const { plan: p } = await plan();
  expect(p.parameters.filter((x) => x.before !== x.after).map((x) => x.key)).toEqual([]);
});

test('a FAILED change set other than "no changes" is a plan error (the step fails), with CloudFormation\'s reason', async () => {
  cfn.on(DescribeStacksCommand).resolves(deployed({ VpcCidr: '10.9.0.0/16' }));
  cfn
    .on(DescribeChangeSetCommand)
    .rejectsOnce(Object.assign(new Error('ChangeSet not found'), { name: 'ChangeSetNotFound' }))
    // The shape CloudFormation records for a template it cannot use.
    .resolves({
      ChangeSetName: `cg-bbbbbbbbbbbb-coderdemo-us-east-2-network`,
      Status: 'FAILED',
      ExecutionStatus: 'UNAVAILABLE',
      StatusReason: 'Template error: instance of Fn::GetAtt references undefined resource NatInstance',
      Changes: [],
    });
  cfn.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
  const { plan: p, errors } = await plan();
  expect(p.status).toBe('failed');
  expect(errors).toEqual([
    {
      message:
        'coderdemo-us-east-2-network: change set cg-bbbbbbbbbbbb-coderdemo-us-east-2-network FAILED: Template error: instance of Fn::GetAtt references undefined resource NatInstance',
    },
  ]);
  expect(p.findings.map((f) => f.rule)).toContain('change-set-failed');
});
