import { ExecuteChangeSetCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { changeSetName } from '../../src/aws/cloudformation/change-set-identity.js';
import { runPlan, type PlanOptions } from '../../src/plan/plan-engine.js';
import type { PlanReport, StackPlan } from '../../src/plan/plan-types.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';

const GITOPS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../gitops');
const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto('123456789012');
});
afterAll(async () => {
  await moto.stop();
});

function plan(factory: AwsClientFactory | undefined, over: Partial<PlanOptions> = {}): Promise<PlanReport> {
  return runPlan({
    gitopsDir: GITOPS,
    regions: ['us-east-2', 'us-west-2'],
    headSha: HEAD,
    baseRef: 'main',
    aws: factory,
    logger: new MemoryLogger(),
    ...over,
  });
}

function stack(report: PlanReport, region: string, name: string): StackPlan {
  const s = report.regions.find((r) => r.region === region)?.stacks.find((x) => x.stack === name);
  if (!s) throw new Error(`no ${name} in ${region}`);
  return s;
}

describe('plan against moto, the real gitops/', () => {
  let first: PlanReport;

  it('creates change sets with deterministic names; stacks fed by outputs not yet deployed are blocked', async () => {
    const factory = new AwsClientFactory();
    first = await plan(factory);
    expect(first.mode).toBe('online');
    expect(first.errors).toEqual([]);
    expect(first.regions.map((r) => r.region)).toEqual(['us-east-2', 'us-west-2']);

    const network = stack(first, 'us-east-2', 'network');
    expect(network).toMatchObject({
      status: 'create',
      stackName: 'coderdemo-us-east-2-network',
      changeSetName: changeSetName(HEAD, 'coderdemo-us-east-2-network'),
    });
    expect(network.changes.length).toBeGreaterThan(0);
    expect(network.changes.every((c) => c.action === 'Add')).toBe(true);

    const eks = stack(first, 'us-east-2', 'eks');
    expect(eks.status).toBe('blocked');
    expect(eks.changeSetName).toBeUndefined();
    expect(eks.parameters).toContainEqual(
      expect.objectContaining({
        key: 'SystemSubnetIds',
        known: false,
        reason: expect.stringMatching(/known after apply/),
      }),
    );
    // Blocked stacks still show what the template creates.
    expect(eks.changes.some((c) => c.type === 'AWS::EKS::Cluster')).toBe(true);

    // The spoke's network waits for the hub's VPC id.
    expect(stack(first, 'us-west-2', 'network')).toMatchObject({ status: 'blocked' });
    expect(stack(first, 'us-west-2', 'network').reason).toMatch(
      /HubVpcId known after apply \(network\.VpcId in us-east-2\)/,
    );
    expect(first.hasChanges).toBe(true);
    expect(first.apiCalls['CloudFormation.CreateChangeSet']).toBeGreaterThan(0);

    // The Description is for people only (nothing reads it back): head and content hash, no risk.
    const list = await factory
      .cloudFormation('us-east-2')
      .send(new ListChangeSetsCommand({ StackName: 'coderdemo-us-east-2-network' }));
    const summary = list.Summaries?.find((s) => s.ChangeSetName === network.changeSetName);
    expect(summary?.Description).toBe(`coder-gitops plan head=${HEAD} hash=${network.hash}`);
  });

  it('a second plan of the same head makes every change set afresh (one found under the name is never trusted)', async () => {
    const factory = new AwsClientFactory();
    const second = await plan(factory);
    const created = first.regions.flatMap((x) => x.stacks).filter((s) => s.changeSetId).length;
    expect(factory.calls.get('CloudFormation.CreateChangeSet')).toBe(created);
    expect(factory.calls.get('CloudFormation.DeleteChangeSet')).toBe(created);
    const shape = (r: PlanReport) =>
      r.regions.flatMap((x) => x.stacks).map((s) => [s.stackName, s.status, s.changeSetName, s.risk]);
    expect(shape(second)).toEqual(shape(first));
    const ids = (r: PlanReport) =>
      r.regions.flatMap((x) => x.stacks).flatMap((s) => (s.changeSetId ? [s.changeSetId] : []));
    expect(ids(second).some((id) => ids(first).includes(id))).toBe(false);
    first = second;
  });

  it('once the hub network is applied, the stacks it fed get change sets of their own', async () => {
    const factory = new AwsClientFactory();
    const network = stack(first, 'us-east-2', 'network');
    await factory
      .cloudFormation('us-east-2')
      .send(
        new ExecuteChangeSetCommand({ StackName: network.stackName, ChangeSetName: network.changeSetName }),
      );
    const next = 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    const third = await plan(factory, { headSha: next });
    expect(third.errors).toEqual([]);
    expect(stack(third, 'us-east-2', 'network').status).toBe('no-changes');
    expect(stack(third, 'us-east-2', 'eks')).toMatchObject({
      status: 'create',
      changeSetName: changeSetName(next, 'coderdemo-us-east-2-eks'),
    });
    expect(stack(third, 'us-west-2', 'network').status).toBe('create');
  });

  it('without credentials the plan is offline, labelled, and creates nothing', async () => {
    const offline = await plan(undefined, { offlineReason: 'pull request from a fork' });
    expect(offline).toMatchObject({
      mode: 'offline',
      offlineReason: 'pull request from a fork',
      apiCalls: {},
    });
    const network = stack(offline, 'us-east-2', 'network');
    expect(network.status).toBe('offline');
    expect(network.changeSetName).toBeUndefined();
    expect(network.templateDiff).toContain('AWS::EC2::VPC');
  });
});
