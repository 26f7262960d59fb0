import { ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { runApply, type ApplyOptions } from '../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { applyOptions } from '../helpers/apply-fixture.js';

const GITOPS = new URL('../../gitops', import.meta.url).pathname;

let moto: MotoServer;
let config: GitopsConfig;
let aws: AwsClientFactory;

beforeAll(async () => {
  config = await loadGitops(GITOPS);
  moto = await startMoto(config.platform.accountId);
  aws = new AwsClientFactory();
  // The zone exists before anything is applied (coderdemo.io is live); moto picks its id.
  const zone = await aws
    .route53()
    .send(
      new CreateHostedZoneCommand({ Name: config.platform.domain, CallerReference: 'apply-real-gitops' }),
    );
  config.platform.hostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

function options(over: Partial<ApplyOptions> = {}): ApplyOptions {
  return applyOptions(
    { config, gitopsDir: GITOPS, regions: ['us-east-2', 'us-west-2'], headSha: 'c'.repeat(40), aws },
    over,
  );
}

test('gitops/ rolls out from empty: the account stacks, then us-east-2, then us-west-2; a second run has nothing to do', async () => {
  const account = await runApply(options({ account: true, regions: [] }));
  expect(account.errors).toEqual([]);
  expect(account.applied.map((s) => `${s.stack}:${s.result}`)).toEqual(['github-oidc:created']);

  const first = await runApply(options());
  expect(first.errors).toEqual([]);
  expect(first.status).toBe('applied');
  const order = first.applied.map((s) => `${s.region}/${s.stack}:${s.result}`);
  expect(order.every((s) => s.endsWith(':created'))).toBe(true);
  // The hub's wave first; the spoke's hub-side routes live in the hub region.
  expect(order.findIndex((s) => s.startsWith('us-west-2/'))).toBe(
    first.applied.filter((s) => s.region === 'us-east-2').length,
  );
  expect(first.applied.find((s) => s.stack === 'hub-routes')).toMatchObject({
    region: 'us-west-2',
    deployRegion: 'us-east-2',
  });
  const hubStacks = await aws.cloudFormation('us-east-2').send(new ListStacksCommand({}));
  expect(hubStacks.StackSummaries!.map((s) => s.StackName)).toContain('coderdemo-us-west-2-hub-routes');
  // Every cluster variable has its value (the emulator stands in for EKS and Aurora attributes).
  for (const region of ['us-east-2', 'us-west-2']) {
    expect(first.stackOutputs[region]!.unresolvedClusterVars).toEqual({});
  }
  expect(first.stackOutputs['us-west-2']!.clusterVars.db_host).toBe(
    first.stackOutputs['us-east-2']!.clusterVars.db_host,
  );

  const creates = aws.calls.get('CloudFormation.CreateChangeSet') ?? 0;
  const second = await runApply(options());
  expect(second.status).toBe('no-changes');
  expect(second.applied.every((s) => s.result === 'no-changes')).toBe(true);
  expect(aws.calls.get('CloudFormation.CreateChangeSet') ?? 0).toBe(creates);
}, 120_000);

test('a region switched off (eu-west-2, enabled: false) gets no stacks: it is skipped and said so', async () => {
  const logger = new MemoryLogger();
  const report = await runApply(options({ regions: ['eu-west-2'], logger }));
  expect(report.status).not.toBe('failed');
  expect(report.regions[0]).toMatchObject({ region: 'eu-west-2', status: 'skipped', stacks: [] });
  expect(logger.text()).toContain('eu-west-2 is not enabled in its region file');
  const stacks = await aws.cloudFormation('eu-west-2').send(new ListStacksCommand({}));
  expect((stacks.StackSummaries ?? []).filter((s) => s.StackName?.startsWith('coderdemo-eu-west-2'))).toEqual(
    [],
  );
});
