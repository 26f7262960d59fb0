import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoderApiError, CoderClient, loadCoderCa } from '../../../src/coder/coder-client.js';
import { startCoderStandIn, type CoderStandIn } from '../../../src/sandbox/coder-stand-in.js';
import { createLocalCa, issueLeafCert, type LocalCa } from '../../../src/sandbox/local-ca.js';

/*
 * The Coder client against the stand-in over real TLS (a local CA, names resolved like curl --resolve):
 * the session header, Coder's status codes (201, 409), errors naming the endpoint and status, never
 * the token.
 */

const TOKEN = 'aBcDeFgHiJ-0123456789abcdefghijklmn';
const HOST = 'us-east-2.coderdemo.io';
let dir: string;
let ca: LocalCa;
let leaf: { certFile: string; keyFile: string };
let standIn: CoderStandIn;
let trusted: string[];

function client(token = TOKEN, port = standIn.port, opts: { ca?: string[] } = {}): CoderClient {
  return new CoderClient({
    baseUrl: `https://${HOST}`,
    sessionToken: token,
    ca: 'ca' in opts ? opts.ca : trusted,
    resolve: [{ host: HOST, port: 443, address: '127.0.0.1', targetPort: port }],
    timeoutMs: 5000,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coder-client-'));
  ca = await createLocalCa(dir);
  leaf = await issueLeafCert(ca, { names: [HOST], days: 30, file: 'leaf' });
  standIn = await startCoderStandIn({ ...leaf, ownerToken: TOKEN, version: 'v2.27.1+abc' });
  trusted = (await loadCoderCa(ca.certFile))!;
}, 30_000);

afterAll(async () => {
  await standIn?.close();
  await rm(dir, { recursive: true, force: true });
});

const enableProxies = () =>
  standIn.api!.licenses.push({
    id: 99,
    uuid: '00000000-0000-4000-8000-000000000099',
    uploaded_at: '',
    claims: { all_features: true },
    jwt: 'x.y.z',
  });

test('refuses a URL that is not https (the token only travels over TLS)', () => {
  expect(() => new CoderClient({ baseUrl: `http://${HOST}`, sessionToken: TOKEN })).toThrow(/not https/);
});

test('buildinfo over TLS trusted through the CA file', async () => {
  expect((await client().buildInfo()).version).toBe('v2.27.1+abc');
});

test('an untrusted certificate is an error naming the endpoint, not a silent success', async () => {
  const err = await client(TOKEN, standIn.port, { ca: undefined })
    .buildInfo()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CoderApiError);
  expect((err as Error).message).toMatch(
    /^Coder API GET \/api\/v2\/buildinfo: https:\/\/us-east-2\.coderdemo\.io could not be reached/,
  );
});

test('a wrong token: 401 named with the endpoint, and the token appears nowhere in the error', async () => {
  const wrong = 'WrongToken-0123456789abcdefghijklmnop';
  const err = (await client(wrong)
    .listLicenses()
    .catch((e: unknown) => e)) as CoderApiError;
  expect(err).toBeInstanceOf(CoderApiError);
  expect(err.status).toBe(401);
  expect(err.message).toBe('Coder API GET /api/v2/licenses: HTTP 401: API key is invalid or expired.');
  expect(JSON.stringify({ m: err.message, s: err.stack })).not.toContain(wrong);
});

test('the session token travels in the Coder-Session-Token header', async () => {
  const seen: string[] = [];
  const server: Server = createServer(
    { cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) },
    (req, res) => {
      seen.push(String(req.headers['coder-session-token']));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await client(TOKEN, (server.address() as AddressInfo).port).listLicenses();
    expect(seen).toEqual([TOKEN]);
  } finally {
    server.close();
  }
});

test('workspace proxies: 403 without the licence feature, then 201 with the token once, 409 as undefined', async () => {
  const c = client();
  await expect(c.listWorkspaceProxies()).rejects.toThrow(
    'Coder API GET /api/v2/workspaceproxies: HTTP 403: Workspace Proxy is a Premium feature. Contact sales!',
  );
  enableProxies();
  const created = await c.createWorkspaceProxy({
    name: 'us-west-2',
    display_name: 'us-west-2',
    icon: '/x.png',
  });
  expect(created?.proxy_token).toMatch(new RegExp(`^${created!.proxy.id}:.+`));
  expect(created?.proxy.status.status).toBe('unregistered');
  expect(await c.createWorkspaceProxy({ name: 'US-WEST-2', display_name: '', icon: '' })).toBeUndefined();
  const listed = await c.listWorkspaceProxies();
  expect(listed.map((p) => p.name)).toEqual(['primary', 'us-west-2']);
  expect(JSON.stringify(listed)).not.toContain(created!.proxy_token.split(':')[1]);
  const regenerated = await c.regenerateProxyToken(listed[1]!);
  expect(regenerated.proxy_token).not.toBe(created!.proxy_token);
  await c.deleteWorkspaceProxy('us-west-2');
  expect((await c.listWorkspaceProxies()).map((p) => p.name)).toEqual(['primary']);
});

test('provisioner keys: created once with tags, 409 on the same name, listed with daemons', async () => {
  const c = client();
  const key = await c.createProvisionerKey({ name: 'region-us-west-2', tags: { region: 'us-west-2' } });
  expect(key?.key.length).toBeGreaterThan(20);
  expect(await c.createProvisionerKey({ name: 'region-us-west-2', tags: {} })).toBeUndefined();
  const listed = await c.listProvisionerKeyDaemons();
  expect(listed.map((k) => [k.key.name, k.key.tags, k.daemons.length])).toEqual([
    ['region-us-west-2', { region: 'us-west-2' }, 0],
  ]);
  expect(JSON.stringify(listed)).not.toContain(key!.key);
  await c.deleteProvisionerKey('region-us-west-2');
  expect(await c.listProvisionerKeys()).toEqual([]);
});

test('debug health: the report with its severity', async () => {
  const h = await client().debugHealth();
  expect(h.healthy).toBe(true);
  expect(['ok', 'warning']).toContain(h.severity);
  expect(h.coder_version).toBe('v2.27.1+abc');
});
