import * as https from 'node:https';
import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { errorCode, errorMessage } from '../util/errors.js';
import { findOverride, overrideLookup, type ResolveOverride } from '../verify/resolve-overrides.js';
import type {
  BuildInfo,
  CreateProvisionerKeyResponse,
  HealthcheckReport,
  License,
  ProvisionerKey,
  ProvisionerKeyDaemons,
  RegionsResponse,
  UpdateWorkspaceProxyResponse,
  WorkspaceProxy,
} from './coder-types.js';

/** Coder's session header (codersdk.SessionTokenHeader). */
export const SESSION_TOKEN_HEADER = 'Coder-Session-Token';
/** The header a workspace proxy authenticates with (coderd/httpmw/workspaceproxy.go). */
export const PROXY_TOKEN_HEADER = 'Coder-External-Proxy-Token';

export interface CoderClientOptions {
  /** `https://us-east-2.coderdemo.io` (no path). */
  baseUrl: string;
  /** An owner's session token; never logged, never part of an error. */
  sessionToken: string;
  /** Trusted CAs (PEM) besides Node's store; see {@link loadCoderCa}. */
  ca?: string[];
  /** curl-style overrides, as the verify probes use them (sandbox, tests). */
  resolve?: readonly ResolveOverride[];
  timeoutMs?: number;
}

/** A Coder API answer other than the one expected: names the endpoint and the status, never the token. */
export class CoderApiError extends Error {
  constructor(
    readonly method: string,
    readonly endpoint: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`Coder API ${method} ${endpoint}: ${status === undefined ? '' : `HTTP ${status}: `}${detail}`);
    this.name = 'CoderApiError';
  }
}

/** Node's root store plus a PEM file (the sandbox's local CA), as the verify probes trust it. */
export async function loadCoderCa(caFile: string | undefined): Promise<string[] | undefined> {
  if (!caFile) return undefined;
  return [...rootCertificates, await readFile(caFile, 'utf8')];
}

/** Coder's error body (codersdk.Response): `message`, `detail`. */
function describeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; detail?: unknown };
    const parts = [parsed.message, parsed.detail].filter((p): p is string => typeof p === 'string' && !!p);
    if (parts.length) return parts.join(': ');
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 200) || '(empty body)';
}

/**
 * A small typed client for the Coder endpoints apply-region and verify use. Shapes from Coder's
 * codersdk (workspaceproxy.go, licenses.go, provisionerdaemons.go, healthsdk/healthsdk.go).
 */
export class CoderClient {
  private readonly url: URL;
  constructor(private readonly opts: CoderClientOptions) {
    this.url = new URL(opts.baseUrl);
    if (this.url.protocol !== 'https:') {
      throw new Error(`Coder URL '${opts.baseUrl}' is not https://: the session token is only sent over TLS`);
    }
  }

  get baseUrl(): string {
    return this.url.origin;
  }

  /** One request; resolves with the parsed body when the status is one of `expect`. */
  async request<T>(
    method: string,
    path: string,
    expect: number[],
    body?: unknown,
    headers: Record<string, string> = { [SESSION_TOKEN_HEADER]: this.opts.sessionToken },
  ): Promise<T> {
    const { status, text } = await this.send(method, path, body, headers);
    if (!expect.includes(status)) throw new CoderApiError(method, path, status, describeBody(text));
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CoderApiError(method, path, status, 'the answer is not JSON');
    }
  }

  private send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const host = this.url.hostname;
    const port = Number(this.url.port || 443);
    const override = findOverride(this.opts.resolve, host, port);
    const lookup = overrideLookup(override);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const timeoutMs = this.opts.timeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host,
          port: override?.targetPort ?? port,
          servername: isIP(host) ? undefined : host,
          path,
          method,
          lookup,
          ca: this.opts.ca,
          agent: false,
          headers: {
            host: this.url.host,
            accept: 'application/json',
            'user-agent': 'coder-gitops',
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (err) => reject(new CoderApiError(method, path, undefined, errorMessage(err))));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on('error', (err) => {
        const code = errorCode(err);
        reject(
          new CoderApiError(
            method,
            path,
            undefined,
            `${this.url.origin} could not be reached: ${code ? `${code}: ` : ''}${errorMessage(err)}`,
          ),
        );
      });
      req.end(payload);
    });
  }

  /** GET /api/v2/buildinfo (no authentication needed, sent anyway). */
  buildInfo(): Promise<BuildInfo> {
    return this.request('GET', '/api/v2/buildinfo', [200]);
  }

  /** GET /api/v2/workspaceproxies: the primary first, then every proxy (enterprise/coderd/workspaceproxy.go). */
  async listWorkspaceProxies(): Promise<WorkspaceProxy[]> {
    const r = await this.request<RegionsResponse<WorkspaceProxy>>('GET', '/api/v2/workspaceproxies', [200]);
    return r.regions ?? [];
  }

  /**
   * POST /api/v2/workspaceproxies → 201 with the proxy token, shown this once; an existing name → 409
   * (`undefined` here: the caller decides what an existing proxy means).
   */
  async createWorkspaceProxy(req: {
    name: string;
    display_name: string;
    icon: string;
  }): Promise<UpdateWorkspaceProxyResponse | undefined> {
    const { status, text } = await this.send('POST', '/api/v2/workspaceproxies', req, {
      [SESSION_TOKEN_HEADER]: this.opts.sessionToken,
    });
    if (status === 409) return undefined;
    if (status !== 201)
      throw new CoderApiError('POST', '/api/v2/workspaceproxies', status, describeBody(text));
    return JSON.parse(text) as UpdateWorkspaceProxyResponse;
  }

  /**
   * PATCH /api/v2/workspaceproxies/{id}: codersdk.PatchWorkspaceProxy requires id, name, display_name and
   * icon; with `regenerate_token` the answer carries a new token and the old one stops working.
   */
  regenerateProxyToken(proxy: WorkspaceProxy): Promise<UpdateWorkspaceProxyResponse> {
    return this.request('PATCH', `/api/v2/workspaceproxies/${encodeURIComponent(proxy.id)}`, [200], {
      id: proxy.id,
      name: proxy.name,
      display_name: proxy.display_name || proxy.name,
      icon: proxy.icon_url || '/emojis/1f310.png',
      regenerate_token: true,
    });
  }

  /** DELETE /api/v2/workspaceproxies/{name}. */
  async deleteWorkspaceProxy(name: string): Promise<void> {
    await this.request('DELETE', `/api/v2/workspaceproxies/${encodeURIComponent(name)}`, [200]);
  }

  /** GET /api/v2/licenses. */
  listLicenses(): Promise<License[]> {
    return this.request('GET', '/api/v2/licenses', [200]);
  }

  /** POST /api/v2/licenses {license} → 201. */
  addLicense(jwt: string): Promise<License> {
    return this.request('POST', '/api/v2/licenses', [201], { license: jwt });
  }

  /** GET /api/v2/organizations/{org}/provisionerkeys (`default` names the default organization). */
  listProvisionerKeys(org = 'default'): Promise<ProvisionerKey[]> {
    return this.request('GET', `/api/v2/organizations/${encodeURIComponent(org)}/provisionerkeys`, [200]);
  }

  /** POST …/provisionerkeys {name, tags} → 201 {key}, the key shown this once; an existing name → 409 (undefined). */
  async createProvisionerKey(
    req: { name: string; tags: Record<string, string> },
    org = 'default',
  ): Promise<CreateProvisionerKeyResponse | undefined> {
    const path = `/api/v2/organizations/${encodeURIComponent(org)}/provisionerkeys`;
    const { status, text } = await this.send('POST', path, req, {
      [SESSION_TOKEN_HEADER]: this.opts.sessionToken,
    });
    if (status === 409) return undefined;
    if (status !== 201) throw new CoderApiError('POST', path, status, describeBody(text));
    return JSON.parse(text) as CreateProvisionerKeyResponse;
  }

  /** DELETE …/provisionerkeys/{name} (a key whose secret was lost: nobody holds it, so it is remade). */
  async deleteProvisionerKey(name: string, org = 'default'): Promise<void> {
    await this.request(
      'DELETE',
      `/api/v2/organizations/${encodeURIComponent(org)}/provisionerkeys/${encodeURIComponent(name)}`,
      [204, 200],
    );
  }

  /** GET …/provisionerkeys/daemons: each key with the daemons connected with it. */
  listProvisionerKeyDaemons(org = 'default'): Promise<ProvisionerKeyDaemons[]> {
    return this.request(
      'GET',
      `/api/v2/organizations/${encodeURIComponent(org)}/provisionerkeys/daemons`,
      [200],
    );
  }

  /** GET /api/v2/debug/health (owner only): Coder's own health report. */
  debugHealth(): Promise<HealthcheckReport> {
    return this.request('GET', '/api/v2/debug/health', [200]);
  }
}
