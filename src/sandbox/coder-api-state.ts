import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PROXY_TOKEN_HEADER, SESSION_TOKEN_HEADER } from '../coder/coder-client.js';
import type {
  HealthcheckReport,
  HealthMessage,
  HealthSection,
  License,
  ProvisionerDaemon,
  ProvisionerKey,
  WorkspaceProxy,
} from '../coder/coder-types.js';

/** What the stand-in does not do that Coder does; the sandbox report and docs repeat it. */
export const CODER_STAND_IN_GAPS: readonly string[] = [
  'licence signatures are not checked (any JWT-shaped licence whose claims parse is accepted; Coder verifies it against its licence keys)',
  'no users, roles or RBAC: the one owner token may do everything, any other token is 401',
  'a workspace proxy is healthy from its first registration on; Coder also probes the proxy\u2019s /healthz and marks it unreachable when that fails',
  'a provisioner daemon is recorded on a plain GET of …/provisionerdaemons/serve with its key; Coder speaks dRPC over a websocket there',
  'the health report is derived from this state only (no DERP, websocket or database probes)',
];

interface ProxyRecord {
  proxy: WorkspaceProxy;
  secretHash: Buffer;
  registered: boolean;
}

interface KeyRecord {
  key: ProvisionerKey;
  secretHash: Buffer;
}

export interface StandInAnswer {
  status: number;
  body?: unknown;
}

const DEFAULT_ORG = '00000000-0000-4000-8000-00000000c0de';
const PRIMARY_ID = '00000000-0000-4000-8000-000000000000';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
const sameHash = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** The claims of a JWT, unverified (the stand-in does not hold Coder's licence keys). */
function jwtClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The primary Coder's API state behind the sandbox's stand-in, with the rules that matter here, from
 * Coder's source (enterprise/coderd/workspaceproxy.go, licenses.go, provisionerkeys.go, templates.go
 * RequireFeatureMW): the session token on every call; workspace proxies and provisioner keys only with
 * a licence granting `workspace_proxy` / `external_provisioner_daemons` (403 otherwise); a duplicate
 * proxy or key name is 409; a proxy token (`<id>:<secret>`) and a provisioner key are shown once and
 * stored hashed; PATCH with `regenerate_token` replaces the proxy token; a proxy is `unregistered`
 * until its server calls `/api/v2/workspaceproxies/me/register` with its token.
 */
export class CoderApiState {
  readonly licenses: (License & { jwt: string })[] = [];
  readonly proxies = new Map<string, ProxyRecord>();
  readonly keys = new Map<string, KeyRecord>();
  readonly daemons: ProvisionerDaemon[] = [];
  private readonly ownerHash: Buffer;
  private nextLicenseId = 1;

  constructor(private readonly opts: { ownerToken: string; version: () => string }) {
    this.ownerHash = sha256(opts.ownerToken);
  }

  /** Whether this path belongs to the API this state serves. */
  handles(path: string): boolean {
    return (
      path === '/api/v2/licenses' ||
      path.startsWith('/api/v2/licenses/') ||
      path === '/api/v2/workspaceproxies' ||
      path.startsWith('/api/v2/workspaceproxies/') ||
      path.startsWith('/api/v2/organizations/') ||
      path === '/api/v2/debug/health'
    );
  }

  private entitled(feature: string): boolean {
    return this.licenses.some((l) => {
      if (l.claims.all_features === true) return true;
      const features = l.claims.features as Record<string, unknown> | undefined;
      return typeof features?.[feature] === 'number' && (features[feature] as number) > 0;
    });
  }

  private primary(): WorkspaceProxy {
    const now = new Date().toISOString();
    return {
      id: PRIMARY_ID,
      name: 'primary',
      display_name: 'Default',
      icon_url: '/emojis/1f3e1.png',
      healthy: true,
      path_app_url: '',
      wildcard_hostname: '',
      derp_enabled: true,
      derp_only: false,
      status: { status: 'ok', report: { errors: [], warnings: [] }, checked_at: now },
      created_at: now,
      updated_at: now,
      deleted: false,
      version: this.opts.version(),
    };
  }

  /** Every proxy as GET /api/v2/workspaceproxies lists them: the primary first. */
  listProxies(): WorkspaceProxy[] {
    return [this.primary(), ...[...this.proxies.values()].map((r) => r.proxy)];
  }

  /** Answer one request (the HTTP layer is coder-stand-in.ts). */
  answer(method: string, path: string, headers: IncomingHttpHeaders, body: string): StandInAnswer {
    if (method === 'POST' && path === '/api/v2/workspaceproxies/me/register')
      return this.register(headers, body);
    if (method === 'GET' && /^\/api\/v2\/organizations\/[^/]+\/provisionerdaemons\/serve$/.test(path))
      return this.serveDaemon(headers, path);
    const token = headers[SESSION_TOKEN_HEADER.toLowerCase()];
    if (typeof token !== 'string' || !token) {
      return {
        status: 401,
        body: { message: 'Cookie "coder_session_token" or query parameter must be provided.' },
      };
    }
    if (!sameHash(sha256(token), this.ownerHash)) {
      return { status: 401, body: { message: 'API key is invalid or expired.' } };
    }
    let parsed: Record<string, unknown> = {};
    if (body) {
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return { status: 400, body: { message: 'Request body must be valid JSON.' } };
      }
    }
    if (path === '/api/v2/licenses') {
      if (method === 'GET') return { status: 200, body: this.licenses.map(({ jwt: _jwt, ...l }) => l) };
      if (method === 'POST') return this.addLicense(parsed);
    }
    if (path === '/api/v2/debug/health' && method === 'GET') return { status: 200, body: this.health() };
    if (path === '/api/v2/workspaceproxies' || path.startsWith('/api/v2/workspaceproxies/')) {
      if (!this.entitled('workspace_proxy'))
        return { status: 403, body: { message: 'Workspace Proxy is a Premium feature. Contact sales!' } };
      if (path === '/api/v2/workspaceproxies') {
        if (method === 'GET') return { status: 200, body: { regions: this.listProxies() } };
        if (method === 'POST') return this.createProxy(parsed);
      }
      const ref = decodeURIComponent(path.slice('/api/v2/workspaceproxies/'.length));
      const record = [...this.proxies.values()].find((r) => r.proxy.name === ref || r.proxy.id === ref);
      if (!record)
        return {
          status: 404,
          body: { message: 'Resource not found or you do not have access to this resource' },
        };
      if (method === 'GET') return { status: 200, body: record.proxy };
      if (method === 'PATCH') return this.patchProxy(record, parsed);
      if (method === 'DELETE') {
        this.proxies.delete(record.proxy.name);
        return { status: 200, body: { message: 'Proxy has been deleted!' } };
      }
    }
    const keys = /^\/api\/v2\/organizations\/([^/]+)\/provisionerkeys(?:\/(.+))?$/.exec(path);
    if (keys) {
      if (keys[1] !== 'default' && keys[1] !== DEFAULT_ORG)
        return {
          status: 404,
          body: { message: 'Resource not found or you do not have access to this resource' },
        };
      if (!this.entitled('external_provisioner_daemons'))
        return {
          status: 403,
          body: { message: 'External Provisioner Daemons is a Premium feature. Contact sales!' },
        };
      if (!keys[2]) {
        if (method === 'GET') return { status: 200, body: [...this.keys.values()].map((k) => k.key) };
        if (method === 'POST') return this.createKey(parsed);
      } else if (keys[2] === 'daemons' && method === 'GET') {
        return {
          status: 200,
          body: [...this.keys.values()].map((k) => ({
            key: k.key,
            daemons: this.daemons.filter((d) => d.key_name === k.key.name),
          })),
        };
      } else if (method === 'DELETE') {
        const name = decodeURIComponent(keys[2]);
        if (!this.keys.delete(name)) return { status: 404, body: { message: 'Resource not found' } };
        for (let i = this.daemons.length - 1; i >= 0; i--)
          if (this.daemons[i]!.key_name === name) this.daemons.splice(i, 1);
        return { status: 204 };
      }
    }
    return { status: 405, body: { message: `${method} ${path} is not served by the stand-in` } };
  }

  private addLicense(req: Record<string, unknown>): StandInAnswer {
    const jwt = req.license;
    if (typeof jwt !== 'string' || !jwt)
      return {
        status: 400,
        body: {
          message: 'Validation failed.',
          validations: [{ field: 'license', detail: 'Validation failed for tag "required" with value: ""' }],
        },
      };
    const claims = jwtClaims(jwt);
    if (!claims) return { status: 400, body: { message: 'Invalid license', detail: 'token is malformed' } };
    const exp = claims.license_expires;
    if (typeof exp === 'number' && exp * 1000 < Date.now())
      return { status: 400, body: { message: 'Invalid license', detail: 'license is expired' } };
    const uuid =
      typeof claims.jti === 'string' && /^[0-9a-f-]{36}$/i.test(claims.jti) ? claims.jti : randomUUID();
    const license = { id: this.nextLicenseId++, uuid, uploaded_at: new Date().toISOString(), claims, jwt };
    this.licenses.push(license);
    const { jwt: _jwt, ...shown } = license;
    return { status: 201, body: shown };
  }

  private createProxy(req: Record<string, unknown>): StandInAnswer {
    const name = req.name;
    if (typeof name !== 'string' || !name)
      return {
        status: 400,
        body: {
          message: 'Validation failed.',
          validations: [{ field: 'name', detail: 'Validation failed for tag "required" with value: ""' }],
        },
      };
    if (name.toLowerCase() === 'primary')
      return { status: 400, body: { message: 'The name "primary" is reserved for the primary region.' } };
    if ([...this.proxies.keys()].some((n) => n.toLowerCase() === name.toLowerCase()))
      return { status: 409, body: { message: `Workspace proxy with name "${name}" already exists.` } };
    const id = randomUUID();
    const secret = randomBytes(24).toString('base64url');
    const now = new Date().toISOString();
    const proxy: WorkspaceProxy = {
      id,
      name,
      display_name: typeof req.display_name === 'string' ? req.display_name : '',
      icon_url: typeof req.icon === 'string' ? req.icon : '',
      healthy: false,
      path_app_url: '',
      wildcard_hostname: '',
      derp_enabled: true,
      derp_only: false,
      status: { status: 'unregistered', report: { errors: [], warnings: [] }, checked_at: now },
      created_at: now,
      updated_at: now,
      deleted: false,
      version: '',
    };
    this.proxies.set(name, { proxy, secretHash: sha256(secret), registered: false });
    return { status: 201, body: { proxy, proxy_token: `${id}:${secret}` } };
  }

  private patchProxy(record: ProxyRecord, req: Record<string, unknown>): StandInAnswer {
    // codersdk.PatchWorkspaceProxy: id, name, display_name and icon are all `validate:"required"`.
    const missing = ['id', 'name', 'display_name', 'icon'].filter(
      (f) => typeof req[f] !== 'string' || !req[f],
    );
    if (missing.length)
      return {
        status: 400,
        body: {
          message: 'Validation failed.',
          validations: missing.map((field) => ({ field, detail: 'required' })),
        },
      };
    let token = '';
    if (req.regenerate_token === true) {
      const secret = randomBytes(24).toString('base64url');
      record.secretHash = sha256(secret);
      token = `${record.proxy.id}:${secret}`;
    }
    if (req.name !== record.proxy.name) {
      this.proxies.delete(record.proxy.name);
      record.proxy.name = req.name as string;
      this.proxies.set(record.proxy.name, record);
    }
    record.proxy.display_name = req.display_name as string;
    record.proxy.icon_url = req.icon as string;
    record.proxy.updated_at = new Date().toISOString();
    return { status: 200, body: { proxy: record.proxy, proxy_token: token } };
  }

  /** What a proxy's server does at start and every 30 s (wsproxysdk.RegisterWorkspaceProxyRequest). */
  private register(headers: IncomingHttpHeaders, body: string): StandInAnswer {
    const token = headers[PROXY_TOKEN_HEADER.toLowerCase()];
    const [id, secret] = typeof token === 'string' ? token.split(':', 2) : [];
    const record = [...this.proxies.values()].find((r) => r.proxy.id === id);
    if (!record || !secret || !sameHash(sha256(secret), record.secretHash)) {
      return { status: 401, body: { message: 'Invalid external proxy token' } };
    }
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { message: 'Request body must be valid JSON.' } };
    }
    const accessUrl = typeof req.access_url === 'string' ? req.access_url : '';
    if (!/^https?:\/\/[^/]+\/?$/.test(accessUrl))
      return { status: 400, body: { message: 'URL is invalid.' } };
    if (
      typeof req.replica_id !== 'string' ||
      !/^[0-9a-f-]{36}$/i.test(req.replica_id) ||
      /^[0-]+$/.test(req.replica_id)
    )
      return { status: 400, body: { message: 'Replica ID is invalid.' } };
    const now = new Date().toISOString();
    Object.assign(record.proxy, {
      path_app_url: accessUrl,
      wildcard_hostname: typeof req.wildcard_hostname === 'string' ? req.wildcard_hostname : '',
      version: typeof req.version === 'string' ? req.version : '',
      healthy: true,
      updated_at: now,
      status: { status: 'ok', report: { errors: [], warnings: [] }, checked_at: now },
    });
    record.registered = true;
    return {
      status: 201,
      body: {
        derp_mesh_key: 'stand-in',
        derp_region_id: 10000,
        derp_map: null,
        derp_force_websockets: false,
        sibling_replicas: [],
      },
    };
  }

  private serveDaemon(headers: IncomingHttpHeaders, path: string): StandInAnswer {
    const key = headers['coder-provisioner-daemon-key'];
    const record =
      typeof key === 'string'
        ? [...this.keys.values()].find((k) => sameHash(sha256(key), k.secretHash))
        : undefined;
    if (!record) return { status: 401, body: { message: 'provisioner daemon key invalid' } };
    const url = new URL(`https://x${path}`);
    const name = url.searchParams.get('name') ?? `provisioner-${this.daemons.length + 1}`;
    const existing = this.daemons.find((d) => d.name === name && d.key_name === record.key.name);
    const now = new Date().toISOString();
    if (existing) existing.last_seen_at = now;
    else
      this.daemons.push({
        id: randomUUID(),
        name,
        version: this.opts.version(),
        tags: { ...record.key.tags, scope: 'organization', owner: '' },
        key_name: record.key.name,
        status: 'idle',
        last_seen_at: now,
      });
    return { status: 200, body: { message: 'daemon recorded (stand-in: no dRPC)' } };
  }

  private createKey(req: Record<string, unknown>): StandInAnswer {
    const name = req.name;
    if (typeof name !== 'string' || !name) return { status: 400, body: { message: 'Name is required' } };
    if (name.length > 64) return { status: 400, body: { message: 'Name must be at most 64 characters' } };
    if (['built-in', 'user-auth', 'psk'].includes(name.toLowerCase()))
      return { status: 400, body: { message: `Name cannot be reserved name '${name}'` } };
    if (this.keys.has(name))
      return {
        status: 409,
        body: { message: `Provisioner key with name '${name}' already exists in organization` },
      };
    const tags = (req.tags && typeof req.tags === 'object' ? req.tags : {}) as Record<string, string>;
    const secret = randomBytes(24).toString('base64url');
    this.keys.set(name, {
      key: { id: randomUUID(), created_at: new Date().toISOString(), organization: DEFAULT_ORG, name, tags },
      secretHash: sha256(secret),
    });
    return { status: 201, body: { key: secret } };
  }

  private health(): HealthcheckReport {
    const section = (warnings: HealthMessage[], error?: string): HealthSection => ({
      healthy: !error,
      severity: error ? 'error' : warnings.length ? 'warning' : 'ok',
      warnings,
      dismissed: false,
      ...(error ? { error } : {}),
    });
    const proxies = [...this.proxies.values()];
    const unhealthy = proxies.filter((r) => !r.proxy.healthy).map((r) => r.proxy.name);
    // coderd/healthcheck/workspaceproxy.go: an unhealthy proxy is an error (EWP04).
    const proxySection = section(
      [],
      unhealthy.length ? `EWP04: workspace proxies unhealthy: ${unhealthy.join(', ')}` : undefined,
    );
    const keyNames = [...this.keys.keys()];
    const idleKeys = keyNames.filter((k) => !this.daemons.some((d) => d.key_name === k));
    const daemonSection = section(
      idleKeys.map((k) => ({ code: 'EPD01', message: `no provisioner daemon connected with key ${k}` })),
    );
    const ok = section([]);
    const sections = [ok, ok, ok, ok, proxySection, daemonSection];
    const severity = sections.some((s) => s.severity === 'error')
      ? 'error'
      : sections.some((s) => s.severity === 'warning')
        ? 'warning'
        : 'ok';
    return {
      time: new Date().toISOString(),
      healthy: severity !== 'error',
      severity,
      access_url: ok,
      database: ok,
      derp: ok,
      websocket: ok,
      workspace_proxy: { ...proxySection, workspace_proxies: { regions: this.listProxies() } },
      provisioner_daemons: daemonSection,
      coder_version: this.opts.version(),
    };
  }
}
