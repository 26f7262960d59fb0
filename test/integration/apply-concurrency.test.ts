import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { runApply } from '../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { applyOptions } from '../helpers/apply-fixture.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { startStackTimingProxy, type StackTimingProxy } from '../helpers/stack-timing-proxy.js';

// Untimed: a gate in front of moto holds chosen stacks in progress until the test releases them, so the
// assertions are about order and overlap, never about how long anything took.
const GITOPS = new URL('../fixtures/apply-gitops/gitops', import.meta.url).pathname;
const HUB = ['demo-us-east-2-network', 'demo-us-east-2-dns', 'demo-us-east-2-app'];

let moto: MotoServer;
let proxy: StackTimingProxy;
let config: GitopsConfig;
let held: Set<string>;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startStackTimingProxy({ upstream: moto.endpoint, hold: (s) => held.has(s) });
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  proxy.reset();
  held = new Set(HUB);
  config = await loadGitops(GITOPS);
  const zone = await new AwsClientFactory()
    .route53()
    .send(new CreateHostedZoneCommand({ Name: 'demo.test', CallerReference: `gate-${Date.now()}` }));
  config.platform.hostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
});

function start(logger = new MemoryLogger()) {
  return runApply(
    applyOptions(
      {
        config,
        gitopsDir: GITOPS,
        regions: ['us-east-2', 'us-west-2'],
        headSha: 'c'.repeat(40),
        aws: new AwsClientFactory(),
      },
      { logger },
    ),
  );
}

const executed = (stack: string) => proxy.executions.find((e) => e.stackName === stack);

describe('apply runs a region’s stacks along their dependencies (gate in front of moto)', () => {
  test('independent stacks are in progress together; a stack starts only after its dependency completed', async () => {
    const logger = new MemoryLogger();
    const run = start(logger);
    // network and dns need nothing: both are executing, held, at the same time.
    await proxy.whenHeld('demo-us-east-2-network');
    await proxy.whenHeld('demo-us-east-2-dns');
    expect(proxy.held().sort()).toEqual(['demo-us-east-2-dns', 'demo-us-east-2-network']);
    // app reads network's VpcId: not executed while network is in progress.
    expect(executed('demo-us-east-2-app')).toBeUndefined();

    proxy.release('demo-us-east-2-network');
    await proxy.whenHeld('demo-us-east-2-app');
    expect(executed('demo-us-east-2-app')!.startedAt).toBeGreaterThanOrEqual(
      executed('demo-us-east-2-network')!.endedAt!,
    );
    // dns is still held: app runs beside it.
    expect(proxy.held().sort()).toEqual(['demo-us-east-2-app', 'demo-us-east-2-dns']);
    // The spoke's wave waits for the whole hub.
    expect(proxy.executions.some((e) => e.stackName.startsWith('demo-us-west-2-'))).toBe(false);

    proxy.release('demo-us-east-2-app');
    proxy.release('demo-us-east-2-dns');
    const report = await run;
    expect(report.errors).toEqual([]);
    expect(report.applied.map((s) => `${s.region}/${s.stack}:${s.result}`)).toEqual([
      'us-east-2/network:created',
      'us-east-2/app:created',
      'us-east-2/dns:created',
      'us-west-2/network:created',
      'us-west-2/app:created',
      'us-west-2/dns:created',
    ]);
    const hubEnd = Math.max(...HUB.map((s) => executed(s)!.endedAt!));
    expect(executed('demo-us-west-2-network')!.startedAt).toBeGreaterThanOrEqual(hubEnd);
    // Concurrent stacks log under their own prefix, so their events stay apart.
    expect(logger.text()).toMatch(
      /^\[network\] demo-us-east-2-network \(AWS::CloudFormation::Stack\) CREATE_COMPLETE$/m,
    );
    expect(logger.text()).toMatch(
      /^\[dns\] demo-us-east-2-dns \(AWS::CloudFormation::Stack\) CREATE_IN_PROGRESS$/m,
    );
  });

  test('a failure marks its dependents not-reached while a running sibling completes', async () => {
    const run = start();
    await proxy.whenHeld('demo-us-east-2-network');
    await proxy.whenHeld('demo-us-east-2-dns');
    proxy.release(
      'demo-us-east-2-network',
      'failed',
      'Resource handler returned message: "The CIDR is invalid"',
    );
    // dns was running when network failed: it is let finish, and finishes.
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.held()).toEqual(['demo-us-east-2-dns']);
    proxy.release('demo-us-east-2-dns');
    const report = await run;

    expect(report.status).toBe('failed');
    const hub = report.regions[0]!;
    expect(hub.stacks.map((s) => `${s.stack}:${s.result}`)).toEqual([
      'network:failed',
      'app:not-reached',
      'dns:created',
    ]);
    expect(hub.stacks[1]!.message).toBe('not started: network failed');
    expect(hub.error).toMatch(
      /demo-us-east-2-network failed at demo-us-east-2-network .*The CIDR is invalid/,
    );
    expect(executed('demo-us-east-2-app')).toBeUndefined();
    // The next wave is not started.
    expect(report.regions[1]).toMatchObject({ region: 'us-west-2', status: 'skipped' });
    expect(proxy.executions.some((e) => e.stackName.startsWith('demo-us-west-2-'))).toBe(false);
  });
});
