import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coderStepFor } from '../../src/apply/coder-region-step.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { readSecretIfExists, secretHasValue } from '../../src/aws/secrets/secret-store.js';
import { CoderApiError, CoderClient, loadCoderCa, PROXY_TOKEN_HEADER } from '../../src/coder/coder-client.js';
import { loadValidatedGitops } from '../../src/gitops/validate-gitops.js';
import type { GitopsConfig, RegionConfig } from '../../src/gitops/types.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { createLocalCa, issueLeafCert, type LocalCa } from '../../src/sandbox/local-ca.js';
import { createOperatorCoderSecrets } from '../../src/sandbox/sandbox-coder-secrets.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';

/*
 * apply's Coder step against moto's Secrets Manager and the Coder stand-in over TLS: a run that stops
 * between creating the proxy and storing its token (CreateSecret fails once, through the fault proxy)
 * is repaired by the next run: one proxy, a new token stored, the lost one refused, the stored one
 * registering. Provisioner keys the same way. No token in any log line or report.
 */

const HUB_HOST = 'us-east-2.coderdemo.io';
let moto: MotoServer;
let proxy: FaultProxy;
let dir: string;
let ca: LocalCa;
let standIn: CoderStandIn;
let config: GitopsConfig;
let ownerToken: string;
let resolve: { host: string; port: number; address: string; targetPort: number }[];
const savedEndpoint = process.env.AWS_ENDPOINT_URL;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy({ upstream: moto.endpoint, keepRequests: true });
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  dir = await mkdtemp(join(tmpdir(), 'coder-step-'));
  ca = await createLocalCa(dir);
  config = await loadValidatedGitops(join(process.cwd(), 'gitops'));
  // With a licence declared, every region gets an external provisioner key.
  config.platform.coder.license = 'premium';
  const operator = await createOperatorCoderSecrets(new AwsClientFactory(), config);
  ownerToken = operator.ownerToken;
  const leaf = await issueLeafCert(ca, { names: [HUB_HOST], days: 30, file: 'hub' });
  standIn = await startCoderStandIn({ ...leaf, ownerToken, version: 'v2.27.1+test' });
  resolve = [{ host: HUB_HOST, port: 443, address: '127.0.0.1', targetPort: standIn.port }];
}, 60_000);

afterAll(async () => {
  await standIn?.close();
  await proxy?.close();
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
  process.env.AWS_ENDPOINT_URL = savedEndpoint;
});

const region = (name: string): RegionConfig => config.regions.find((r) => r.name === name)!;

async function register(token: string): Promise<number> {
  const c = new CoderClient({
    baseUrl: `https://${HUB_HOST}`,
    sessionToken: '',
    ca: await loadCoderCa(ca.certFile),
    resolve,
  });
  try {
    await c.request(
      'POST',
      '/api/v2/workspaceproxies/me/register',
      [201],
      {
        access_url: 'https://us-west-2.coderdemo.io',
        wildcard_hostname: '*.us-west-2.coderdemo.io',
        replica_id: '6a3a3b4e-0000-4000-8000-000000000001',
        version: 'v2.27.1+test',
        derp_enabled: true,
      },
      { [PROXY_TOKEN_HEADER]: token },
    );
    return 201;
  } catch (err) {
    return (err as CoderApiError).status ?? 0;
  }
}

/** The SecretString of every CreateSecret/PutSecretValue request for a name, faulted ones included. */
function sentValues(name: string): string[] {
  return proxy.log
    .filter((c) => /\.(CreateSecret|PutSecretValue)$/.test(c.operation) && c.request)
    .map((c) => JSON.parse(c.request!.body) as { Name?: string; SecretId?: string; SecretString?: string })
    .filter((b) => (b.Name ?? b.SecretId) === name)
    .map((b) => b.SecretString!);
}

test('a crash between creating the proxy and storing its token, re-run: one proxy and a working token', async () => {
  const step = coderStepFor({ caFile: ca.certFile, resolve });
  const logger = new MemoryLogger();
  // One attempt per call, so a single injected failure is the run's failure.
  const aws = new AwsClientFactory({ maxAttempts: 1 });

  const primary = await step({ config, region: region('us-east-2'), phase: 'after-cluster', aws, logger });
  expect(primary?.status).toBe('ok');
  expect(primary?.license?.result).toBe('installed');
  expect(primary?.provisionerKey?.result).toBe('created');

  proxy.rules.push({ operation: 'CreateSecret', fault: 500, times: 1 });
  const crashed = await step({ config, region: region('us-west-2'), phase: 'before-cluster', aws, logger });
  expect(crashed?.status).toBe('failed');
  expect(crashed?.proxy?.result).toBe('failed');
  expect(crashed?.reason).toMatch(
    /workspace proxy us-west-2 exists in Coder but its token could not be stored in coderdemo\/coder-proxy-token \(us-west-2\): .*Re-run apply: it regenerates the token and stores it/,
  );
  expect(standIn.api!.listProxies().map((p) => p.name)).toEqual(['primary', 'us-west-2']);
  expect(await secretHasValue(aws, 'us-west-2', 'coderdemo/coder-proxy-token')).toBe(false);
  const [lost] = sentValues('coderdemo/coder-proxy-token');
  expect(lost).toMatch(/^[0-9a-f-]{36}:/);

  const repaired = await step({ config, region: region('us-west-2'), phase: 'before-cluster', aws, logger });
  expect(repaired?.status).toBe('ok');
  expect(repaired?.proxy?.result).toBe('regenerated');
  expect(standIn.api!.listProxies().map((p) => p.name)).toEqual(['primary', 'us-west-2']);
  const stored = await readSecretIfExists(aws, 'us-west-2', 'coderdemo/coder-proxy-token');
  expect(stored).toBeDefined();
  expect(stored).not.toBe(lost);
  // The token nobody kept no longer works; the stored one registers the proxy's server.
  expect(await register(lost!)).toBe(401);
  expect(await register(stored!)).toBe(201);
  expect(standIn.api!.listProxies().find((p) => p.name === 'us-west-2')?.status.status).toBe('ok');

  const again = await step({ config, region: region('us-west-2'), phase: 'before-cluster', aws, logger });
  expect(again?.proxy?.result).toBe('kept');
  expect(again?.provisionerKey?.result).toBe('kept');
  expect(await readSecretIfExists(aws, 'us-west-2', 'coderdemo/coder-proxy-token')).toBe(stored);
  expect(standIn.api!.listProxies()).toHaveLength(2);

  // The gate now sees a healthy proxy.
  const gate = await step({ config, region: region('us-west-2'), phase: 'before-dns', aws, logger });
  expect(gate?.gate?.checks.find((c) => c.target === 'workspace proxy us-west-2')?.status).toBe('pass');

  const secrets = [ownerToken, lost!, stored!, ...sentValues('coderdemo/coder-provisioner-key')];
  const everything = logger.text() + JSON.stringify([primary, crashed, repaired, again, gate]);
  for (const s of secrets) expect(everything).not.toContain(s);
}, 60_000);

test('a provisioner key whose secret was lost is made again; its tags place jobs in the region', async () => {
  const step = coderStepFor({ caFile: ca.certFile, resolve });
  const logger = new MemoryLogger();
  const aws = new AwsClientFactory({ maxAttempts: 1 });
  standIn.api!.keys.delete('region-eu-west-2');
  proxy.rules.push({ operation: 'CreateSecret', fault: 500, times: 1 });
  const eu = { ...region('eu-west-2'), enabled: true };
  const crashed = await step({ config, region: eu, phase: 'before-cluster', aws, logger });
  // The proxy token's CreateSecret took the fault: the proxy failed, the key went on.
  expect(crashed?.status).toBe('failed');
  const first = await step({ config, region: eu, phase: 'before-cluster', aws, logger });
  expect(first?.proxy?.result).toBe('regenerated');
  expect(first?.provisionerKey?.result).toBe('kept');
  // Lose the key's secret: the key cannot be recovered from Coder (it keeps a hash), so it is remade.
  const { DeleteSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  await aws.secretsManager('eu-west-2').send(
    new DeleteSecretCommand({
      SecretId: 'coderdemo/coder-provisioner-key',
      ForceDeleteWithoutRecovery: true,
    }),
  );
  const remade = await step({ config, region: eu, phase: 'before-cluster', aws, logger });
  expect(remade?.provisionerKey?.result).toBe('recreated');
  expect(standIn.api!.keys.get('region-eu-west-2')?.key.tags).toEqual({ region: 'eu-west-2' });
  expect(await secretHasValue(aws, 'eu-west-2', 'coderdemo/coder-provisioner-key')).toBe(true);
}, 60_000);

test('without the owner token the step fails saying how an operator creates it', async () => {
  const step = coderStepFor({ caFile: ca.certFile, resolve });
  const other = { ...config, platform: { ...config.platform, project: 'nobody' } };
  const r = await step({
    config: other,
    region: region('us-east-2'),
    phase: 'after-cluster',
    aws: new AwsClientFactory(),
    logger: new MemoryLogger(),
  });
  expect(r?.status).toBe('failed');
  expect(r?.reason).toMatch(
    /nobody\/coder-owner-token does not exist in us-east-2 .*aws secretsmanager create-secret --region us-east-2 --name nobody\/coder-owner-token/,
  );
});
