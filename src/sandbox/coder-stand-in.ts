import { readFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CoderApiState } from './coder-api-state.js';

export interface CoderStandInOptions {
  /** 0 = a free port. */
  port?: number;
  host?: string;
  certFile: string;
  keyFile: string;
  /** Reported by /api/v2/buildinfo, e.g. `v2.27.1+abc1234`. */
  version?: string;
  /**
   * Where the version comes from instead: what the cluster runs (the Coder HelmRelease a Kubernetes
   * stand-in holds). Undefined = no Coder server runs: buildinfo answers 503, as a Service without pods.
   */
  versionSource?: () => string | undefined;
  /** The access URL, used for `dashboard_url`. */
  accessUrl?: string;
  /** Path that reaches the database (default `/api/v2/users/first`, as in Coder). */
  coldStartPath?: string;
  /** Delay of the first database request after `idleMs` without one (an Aurora resume). */
  coldDelayMs?: number;
  /** Quiet time after which the database counts as paused again (default: forever, so only the first request is cold). */
  idleMs?: number;
  /** HTTP status for every request (simulates a broken region). */
  forceStatus?: number;
  /**
   * The primary's API (licences, workspace proxies, provisioner keys, health report) with this owner
   * session token; absent = a region that only answers buildinfo and the database path.
   */
  ownerToken?: string;
}

export interface CoderStandIn {
  port: number;
  /** Requests served, by path. */
  requests: Map<string, number>;
  setVersion(version: string): void;
  /** The version it reports now (buildinfo, the health report, a proxy region's registration). */
  version(): string;
  /** The primary's API state, when `ownerToken` was given. */
  api?: CoderApiState;
  close(): Promise<void>;
}

/**
 * An HTTPS server that answers the few endpoints verify uses like Coder does: `/api/v2/buildinfo`
 * (no database) and `/api/v2/users/first` (counts users: touches the database, so it pays the
 * cold start); with `ownerToken`, the primary's API apply-region and verify use
 * (src/sandbox/coder-api-state.ts, which also says what it does not model); 404 otherwise.
 */
export async function startCoderStandIn(opts: CoderStandInOptions): Promise<CoderStandIn> {
  const [cert, key] = await Promise.all([readFile(opts.certFile), readFile(opts.keyFile)]);
  let version = opts.version ?? 'v2.27.1+abc1234';
  const coldPath = opts.coldStartPath ?? '/api/v2/users/first';
  const requests = new Map<string, number>();
  // The one place the reported version lives: buildinfo and the health report read it (issue 18 makes it
  // follow the HelmRelease).
  const reported = (): string | undefined => (opts.versionSource ? opts.versionSource() : version);
  const currentVersion = (): string => reported() ?? '';
  const api = opts.ownerToken
    ? new CoderApiState({ ownerToken: opts.ownerToken, version: currentVersion })
    : undefined;
  let lastDbAt = Number.NEGATIVE_INFINITY;
  let dbEverUsed = false;

  const json = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = https.createServer({ cert, key }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (opts.forceStatus) {
      json(res, opts.forceStatus, { message: 'stand-in forced failure' });
      return;
    }
    if (api?.handles(path)) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = api.answer(
          req.method ?? 'GET',
          path,
          req.headers,
          Buffer.concat(chunks).toString('utf8'),
          new URLSearchParams((req.url ?? '').split('?')[1] ?? ''),
        );
        if (answer.status === 204) {
          res.writeHead(204);
          res.end();
        } else json(res, answer.status, answer.body);
      });
      return;
    }
    if (req.method === 'GET' && path === '/api/v2/buildinfo') {
      if (reported() === undefined) {
        json(res, 503, { message: 'no Coder server is running (stand-in: no ready replica)' });
        return;
      }
      json(res, 200, {
        external_url: `https://github.com/coder/coder/commit/${version.split('+')[1] ?? 'unknown'}`,
        version: currentVersion(),
        dashboard_url: opts.accessUrl ?? `https://${req.headers.host ?? 'localhost'}`,
        telemetry: false,
        workspace_proxy: false,
        agent_api_version: '2.6',
        provisioner_api_version: '1.11',
        upgrade_message: '',
        deployment_id: '00000000-0000-4000-8000-000000000000',
        webpush_public_key: '',
      });
      return;
    }
    if (req.method === 'GET' && path === coldPath) {
      const now = Date.now();
      const idle = opts.idleMs ?? Number.POSITIVE_INFINITY;
      const cold = !dbEverUsed || now - lastDbAt > idle;
      const delay = cold ? (opts.coldDelayMs ?? 0) : 0;
      dbEverUsed = true;
      setTimeout(() => {
        lastDbAt = Date.now();
        json(res, 200, { message: 'The initial user has already been created!' });
      }, delay);
      return;
    }
    json(res, 404, { message: 'Route not found.' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    ...(api ? { api } : {}),
    version: currentVersion,
    setVersion(v: string) {
      version = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
