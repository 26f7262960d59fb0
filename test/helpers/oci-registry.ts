import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { freePort } from '../../src/sandbox/free-port.js';
import { buildChartArchive, type ChartSpec } from './chart-repo.js';
import { buildTarGz } from './tar-gz.js';

/**
 * A real OCI distribution registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
 * loopback port with a temp storage dir and its own config file, plus helpers that push through the
 * registry's HTTP API (blob upload POST + PUT, manifest PUT) so no docker or helm is needed.
 *
 * `auth: 'anonymous-token'` puts the registry behind distribution's token auth, as public registries
 * (public.ecr.aws, ghcr.io) are: `/v2/...` answers 401 with `WWW-Authenticate: Bearer realm=…,service=…,
 * scope=…`, and a local token server hands anyone a signed JWT (RS256, x5c header, its certificate in
 * the registry's rootcertbundle; distribution/registry/auth/token/token.go verifies it).
 *
 * Not modelled: garbage collection, rate limits, a registry's catalog limits, real users.
 */

export const DOCKER_REGISTRY_INSTALL_COMMAND = 'apt-get install -y --no-install-recommends docker-registry';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  // Helm's OCI artifact (helm/pkg/registry/constants.go).
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  helmChart: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface OciRegistry {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`, as an image reference or an `oci://` URL names it. */
  host: string;
  dir: string;
  /** The token server's realm when `auth: 'anonymous-token'`. */
  tokenRealm?: string;
  /** Token requests received (their query strings), when `auth: 'anonymous-token'`. */
  readonly tokenRequests: string[];
  /** Push a small container image (one layer); `index: true` pushes a two-platform image index. */
  pushImage(repository: string, tag: string, opts?: { index?: boolean }): Promise<{ digest: string }>;
  /** Push a Helm chart as Helm's OCI artifact at `<path>/<chart name>:<version>` (`+` → `_`). */
  pushChart(path: string, spec: ChartSpec): Promise<{ repository: string; tag: string; digest: string }>;
  /** Upload a blob; returns its digest. */
  pushBlob(repository: string, data: Buffer): Promise<Descriptor['digest']>;
  /** PUT a manifest under a tag or digest; returns the registry's digest. */
  pushManifest(repository: string, reference: string, manifest: object, mediaType: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOciRegistryOptions {
  auth?: 'none' | 'anonymous-token';
  binary?: string;
}

/** Path of Debian's docker-registry, or undefined (install with {@link DOCKER_REGISTRY_INSTALL_COMMAND}). */
export function findDockerRegistry(): string | undefined {
  const out = spawnSync(
    'sh',
    ['-c', 'command -v docker-registry || ls /usr/bin/docker-registry 2>/dev/null'],
    {
      encoding: 'utf8',
    },
  );
  const path = out.stdout.split('\n')[0]?.trim();
  return path && existsSync(path) ? path : undefined;
}

/** Start docker-registry; resolves once `GET /v2/` answers. `stop()` ends it and removes its dir. */
export async function startOciRegistry(opts: StartOciRegistryOptions = {}): Promise<OciRegistry> {
  const binary = opts.binary ?? findDockerRegistry();
  if (!binary) throw new Error(`docker-registry not found: ${DOCKER_REGISTRY_INSTALL_COMMAND}`);
  const dir = await mkdtemp(join(tmpdir(), 'oci-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const tokenRequests: string[] = [];
  let tokens: TokenServer | undefined;
  if (opts.auth === 'anonymous-token') tokens = await startTokenServer(dir, tokenRequests);

  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    `  secret: ${randomUUID()}`,
    ...(tokens
      ? [
          'auth:',
          '  token:',
          `    realm: ${tokens.realm}`,
          `    service: ${TOKEN_SERVICE}`,
          `    issuer: ${TOKEN_ISSUER}`,
          `    rootcertbundle: ${tokens.certFile}`,
        ]
      : []),
    '',
  ].join('\n');
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, config);

  const child: ChildProcess = spawn(binary, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited !== undefined) {
      await tokens?.stop();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`docker-registry exited (${exited}) before answering: ${stderr.trim()}`);
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exit;
      await tokens?.stop();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not answer ${url}/v2/ within 15 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const authHeaders = (repository: string): Record<string, string> =>
    tokens ? { authorization: `Bearer ${tokens.issue(repository, ['pull', 'push'])}` } : {};

  const pushBlob = async (repository: string, data: Buffer): Promise<string> => {
    const digest = sha256Digest(data);
    const start = await fetch(`${url}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: authHeaders(repository),
    });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new Error(`blob upload start: HTTP ${start.status}`);
    const put = new URL(location, url);
    put.searchParams.set('digest', digest);
    const done = await fetch(put, {
      method: 'PUT',
      headers: { ...authHeaders(repository), 'content-type': 'application/octet-stream' },
      body: data,
    });
    const text = await done.text();
    if (done.status !== 201) throw new Error(`blob upload: HTTP ${done.status} ${text}`);
    return digest;
  };

  const pushManifest = async (
    repository: string,
    reference: string,
    manifest: object,
    mediaType: string,
  ): Promise<string> => {
    const res = await fetch(`${url}/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { ...authHeaders(repository), 'content-type': mediaType },
      body: JSON.stringify(manifest),
    });
    const text = await res.text();
    if (res.status !== 201)
      throw new Error(`manifest PUT ${repository}:${reference}: HTTP ${res.status} ${text}`);
    return res.headers.get('docker-content-digest') ?? '';
  };

  const pushSingleImage = async (repository: string, reference: string, arch: string) => {
    const layer = buildTarGz([{ path: 'etc/image-id', content: `${repository}:${reference}:${arch}\n` }]);
    const diffId = sha256Digest(gunzipSync(layer)); // the diff ID names the uncompressed layer;
    const config = Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
      }),
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: {
        mediaType: MEDIA_TYPES.ociConfig,
        digest: await pushBlob(repository, config),
        size: config.length,
      },
      layers: [
        { mediaType: MEDIA_TYPES.ociLayer, digest: await pushBlob(repository, layer), size: layer.length },
      ],
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const digest = await pushManifest(repository, reference, manifest, MEDIA_TYPES.ociManifest);
    return { digest, size: body.length };
  };

  return {
    url,
    host,
    dir,
    tokenRequests,
    ...(tokens ? { tokenRealm: tokens.realm } : {}),
    pushBlob,
    pushManifest,
    async pushImage(repository, tag, o = {}) {
      if (!o.index) return { digest: (await pushSingleImage(repository, tag, 'amd64')).digest };
      const platforms = [];
      for (const arch of ['amd64', 'arm64']) {
        // Pushed by digest first, as `docker buildx` does, so only the index carries the tag.
        const m = await pushSingleImage(repository, `${tag}-${arch}`, arch);
        platforms.push({
          mediaType: MEDIA_TYPES.ociManifest,
          ...m,
          platform: { architecture: arch, os: 'linux' },
        });
      }
      const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: platforms };
      return { digest: await pushManifest(repository, tag, index, MEDIA_TYPES.ociIndex) };
    },
    async pushChart(path, spec) {
      const repository = [path.replace(/^\/+|\/+$/g, ''), spec.name].filter(Boolean).join('/');
      const tag = spec.version.replace(/\+/g, '_');
      const chart = buildChartArchive(spec);
      const config = Buffer.from(
        JSON.stringify({
          name: spec.name,
          version: spec.version,
          ...(spec.appVersion ? { appVersion: spec.appVersion } : {}),
          apiVersion: 'v2',
          type: 'application',
        }),
      );
      const manifest = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: {
          mediaType: MEDIA_TYPES.helmConfig,
          digest: await pushBlob(repository, config),
          size: config.length,
        },
        layers: [
          { mediaType: MEDIA_TYPES.helmChart, digest: await pushBlob(repository, chart), size: chart.length },
        ],
        annotations: {
          'org.opencontainers.image.title': spec.name,
          'org.opencontainers.image.version': spec.version,
        },
      };
      const digest = await pushManifest(repository, tag, manifest, MEDIA_TYPES.ociManifest);
      return { repository, tag, digest };
    },
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      await tokens?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `sha256:<hex>` of the bytes, as the distribution API names blobs and manifests. */
export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const TOKEN_SERVICE = 'test-registry';
const TOKEN_ISSUER = 'test-token-issuer';

interface TokenServer {
  realm: string;
  certFile: string;
  issue(repository: string, actions: string[]): string;
  stop(): Promise<void>;
}

/** Hands anyone a token for what it asks (a public registry's anonymous pull; push too, for the helpers). */
async function startTokenServer(dir: string, requests: string[]): Promise<TokenServer> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  const gen = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=test-token-issuer',
    ],
    { encoding: 'utf8' },
  );
  if (gen.status !== 0) throw new Error(`openssl could not make the token certificate: ${gen.stderr}`);
  const key: KeyObject = createPrivateKey(await readFile(keyFile));
  const certDer = pemToDer(await readFile(certFile, 'utf8'));

  const issue = (repository: string, actions: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: TOKEN_ISSUER,
      sub: '',
      aud: TOKEN_SERVICE,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: [{ type: 'repository', name: repository, actions }],
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
  };

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.search);
    if (u.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    // scope=repository:<name>:pull[,push]; several scopes may be asked for.
    const access = u.searchParams.getAll('scope').map((s) => s.split(':'));
    const first = access.find((s) => s[0] === 'repository' && s.length >= 3);
    const token = first ? issue(first.slice(1, -1).join(':'), first.at(-1)!.split(',')) : issue('', []);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return {
    realm,
    certFile,
    issue,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}
