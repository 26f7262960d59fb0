import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AllowedFetcher, isAllowedSource, registryOrigin } from '../../../src/fetch/allowed-fetch.js';

/** A chart host: /charts/index.yaml answers, /charts/moved redirects to /elsewhere, /elsewhere answers. */
let server: Server;
let base = '';
const seen: string[] = [];
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/charts/index.yaml') {
      res.writeHead(200, { 'content-type': 'application/x-yaml' });
      res.end('apiVersion: v1\nentries: {}\n');
    } else if (req.url === '/charts/moved') {
      res.writeHead(302, { location: '/elsewhere/index.yaml' });
      res.end();
    } else if (req.url === '/v2/team/app/manifests/v1') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(JSON.stringify({ accept: req.headers.accept }));
    } else if (req.url === '/v2/team/app/manifests/moved') {
      res.writeHead(307, { location: '/v2/other/app/manifests/v1' });
      res.end();
    } else if (req.url === '/v2/team/app/manifests/private') {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://127.0.0.1/token",service="x"' });
      res.end();
    } else if (req.url === '/charts/inside') {
      res.writeHead(301, { location: '/charts/index.yaml' });
      res.end();
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
  connections = 0;
});

const fetcher = () => new AllowedFetcher({ allowList: [`${base}/charts`], timeoutMs: 5000 });

test('an allowed source is fetched', async () => {
  const f = fetcher();
  const out = await f.get(`${base}/charts/index.yaml`, 'chart index');
  expect(out).toMatchObject({ outcome: 'fetched', status: 200, contentType: 'application/x-yaml' });
  expect(out.outcome === 'fetched' && out.body.toString()).toBe('apiVersion: v1\nentries: {}\n');
  expect(f.records).toEqual([
    { url: `${base}/charts/index.yaml`, purpose: 'chart index', outcome: 'fetched' },
  ]);
});

test.each([
  ['another path on the same host', '/other/index.yaml'],
  ['a path that only starts like the prefix', '/chartsx/index.yaml'],
  ['a way out of the prefix with ..', '/charts/../other/index.yaml'],
])('%s is refused without a connection', async (_name, p) => {
  const out = await fetcher().get(`${base}${p}`, 'chart index');
  expect(out.outcome).toBe('not-allowed');
  expect(out.outcome === 'not-allowed' && out.reason).toMatch(
    /is not under any allowedSources entry of main's platform\.yaml: not fetched/,
  );
  expect(connections).toBe(0);
});

test('a redirect to a source that is not allowed is not followed', async () => {
  const out = await fetcher().get(`${base}/charts/moved`, 'chart index');
  expect(out).toMatchObject({ outcome: 'not-allowed', url: `${base}/elsewhere/index.yaml` });
  expect(out.outcome === 'not-allowed' && out.reason).toContain(
    `${base}/charts/moved redirects to ${base}/elsewhere/index.yaml`,
  );
  expect(seen).toEqual(['/charts/moved']);
});

test('a redirect within the allowed source is followed', async () => {
  const out = await fetcher().get(`${base}/charts/inside`, 'chart index');
  expect(out).toMatchObject({ outcome: 'fetched', url: `${base}/charts/index.yaml` });
  expect(seen).toEqual(['/charts/inside', '/charts/index.yaml']);
});

test('an error status is a failed outcome, not a throw', async () => {
  const out = await fetcher().get(`${base}/charts/missing.tgz`, 'chart');
  expect(out).toEqual({
    outcome: 'failed',
    url: `${base}/charts/missing.tgz`,
    reason: 'HTTP 404',
    status: 404,
  });
});

test('with an empty allow-list (no base to trust) nothing is fetched', async () => {
  const out = await new AllowedFetcher({ allowList: [] }).get(`${base}/charts/index.yaml`, 'chart index');
  expect(out.outcome).toBe('not-allowed');
  expect(connections).toBe(0);
});

test.each([
  ['https://charts.jetstack.io/index.yaml', true],
  ['https://CHARTS.jetstack.io/index.yaml', true],
  ['http://charts.jetstack.io/index.yaml', false],
  ['https://charts.jetstack.io.evil.example/index.yaml', false],
  ['https://user:pw@charts.jetstack.io/index.yaml', false],
  ['https://kubernetes-sigs.github.io/metrics-server/', true],
  ['https://kubernetes-sigs.github.io/metrics-server-fork/', false],
  ['oci://public.ecr.aws/karpenter/karpenter', true],
  ['oci://public.ecr.aws/someone/karpenter', false],
  ['not a url', false],
])('isAllowedSource(%s) is %s', (url, allowed) => {
  const list = [
    'https://charts.jetstack.io',
    'https://kubernetes-sigs.github.io/metrics-server',
    'oci://public.ecr.aws/karpenter/karpenter',
  ];
  expect(isAllowedSource(url, list)).toBe(allowed);
});

describe('registry API of an allowed oci:// source', () => {
  const host = () => base.replace('http://', '');
  const reg = () => new AllowedFetcher({ allowList: [`oci://${host()}/team/app`], timeoutMs: 5000 });

  test('the manifest URL is built from the allowed repository, plain HTTP only on loopback, headers sent', async () => {
    const out = await reg().getFromRegistry({ host: host(), repository: 'team/app' }, 'manifests/v1', 'tag', {
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(out).toMatchObject({ outcome: 'fetched', url: `${base}/v2/team/app/manifests/v1` });
    expect(out.outcome === 'fetched' && JSON.parse(out.body.toString())).toEqual({
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
  });

  test('a repository main does not list is refused without a connection', async () => {
    const out = await reg().getFromRegistry(
      { host: host(), repository: 'team/other' },
      'manifests/v1',
      'tag',
    );
    expect(out.outcome).toBe('not-allowed');
    expect(out.outcome === 'not-allowed' && out.reason).toContain(
      `oci://${host()}/team/other is not under any allowedSources`,
    );
    expect(connections).toBe(0);
  });

  test('a name that is not a repository name (a way out of the path) is refused', async () => {
    const out = await new AllowedFetcher({ allowList: [`oci://${host()}`] }).getFromRegistry(
      { host: host(), repository: 'team/../../charts' },
      'manifests/v1',
      'tag',
    );
    expect(out).toMatchObject({ outcome: 'failed' });
    expect(connections).toBe(0);
  });

  test("a redirect out of the repository's API is not followed", async () => {
    const out = await reg().getFromRegistry(
      { host: host(), repository: 'team/app' },
      'manifests/moved',
      'tag',
    );
    expect(out).toMatchObject({ outcome: 'not-allowed', url: `${base}/v2/other/app/manifests/v1` });
    expect(seen).toEqual(['/v2/team/app/manifests/moved']);
  });

  test('a 401 carries its Bearer challenge; a token service on another host name is not asked', async () => {
    const out = await reg().getFromRegistry(
      { host: host(), repository: 'team/app' },
      'manifests/private',
      'tag',
    );
    expect(out).toMatchObject({
      outcome: 'failed',
      status: 401,
      challenge: 'Bearer realm="http://127.0.0.1/token",service="x"',
    });
    const token = await reg().getRegistryToken(
      { host: host(), repository: 'team/app' },
      'https://auth.example.net/token?scope=repository:team/app:pull',
      'token',
    );
    expect(token.outcome).toBe('not-allowed');
    expect(token.outcome === 'not-allowed' && token.reason).toContain("is not on the registry's host");
  });

  test('registries are reached over HTTPS except on loopback (Docker treats 127.0.0.0/8 as insecure)', () => {
    expect(registryOrigin('public.ecr.aws')).toBe('https://public.ecr.aws');
    expect(registryOrigin('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryOrigin('localhost:5000')).toBe('http://localhost:5000');
    expect(registryOrigin('127.example.com')).toBe('https://127.example.com');
  });
});
