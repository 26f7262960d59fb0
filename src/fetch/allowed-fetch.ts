/*
 * The one way the plan reaches the network on a pull request's say (chart indexes, chart versions, images
 * later): only sources allow-listed in `allowedSources` of MAIN's platform.yaml (the base checkout's, never
 * the pull request's) are fetched. A source the pull request adds is refused here, before any connection,
 * and flagged in the plan (src/plan/source-review.ts). Redirects are followed only to allowed sources.
 */

/** What one fetch did: the body, or why nothing (or nothing more) was fetched. Never throws. */
export type FetchOutcome =
  | { outcome: 'fetched'; url: string; status: number; contentType: string; body: Buffer }
  | { outcome: 'not-allowed'; url: string; reason: string }
  | {
      outcome: 'failed';
      url: string;
      reason: string;
      /** The HTTP status when the server answered (404: not there; 401: credentials asked for). */
      status?: number;
      /** `WWW-Authenticate` of a 401 (a registry's Bearer challenge). */
      challenge?: string;
    };

/** An OCI registry repository, as an `oci://host/path` source names it. */
export interface RegistryRepository {
  /** `public.ecr.aws`, `127.0.0.1:5000`. */
  host: string;
  /** `karpenter/karpenter`. */
  repository: string;
}

interface FollowOptions {
  headers?: Record<string, string>;
  allows: (url: string) => boolean;
  notAllowed: (url: string) => string;
}

export interface AllowedFetcherOptions {
  /** URL prefixes from main's platform.yaml `allowedSources`. */
  allowList: readonly string[];
  /** Injected for tests; default the global fetch. */
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
  /** Larger bodies are cut off with `failed` (default 16 MiB). */
  maxBytes?: number;
}

/** A record of every attempt, for the plan's report. */
export interface FetchRecord {
  url: string;
  purpose: string;
  outcome: FetchOutcome['outcome'];
  reason?: string;
}

interface Prefix {
  protocol: string;
  host: string;
  path: string;
}

function parsePrefix(entry: string): Prefix | undefined {
  try {
    const u = new URL(entry);
    if (u.username || u.password || u.search || u.hash) return undefined;
    return { protocol: u.protocol, host: u.host.toLowerCase(), path: u.pathname.replace(/\/+$/, '') };
  } catch {
    return undefined;
  }
}

/** True when `url` is one of the allowed sources or below one of them (whole path segments). */
export function isAllowedSource(url: string, allowList: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false; // credentials in a URL are never a listed source
  const path = u.pathname.replace(/\/+$/, '');
  // `..` is resolved by the URL parser, so `https://host/allowed/../other` is already `/other` here.
  return allowList.some((entry) => {
    const p = parsePrefix(entry);
    if (!p || p.protocol !== u.protocol || p.host !== u.host.toLowerCase()) return false;
    return path === p.path || path.startsWith(`${p.path}/`);
  });
}

const MAX_REDIRECTS = 5;
/** A repository name of the distribution spec (path components of [a-z0-9] joined by . _ __ -). */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Fetches only allow-listed sources; see the file comment. */
export class AllowedFetcher {
  readonly records: FetchRecord[] = [];
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: AllowedFetcherOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  /** Whether a source may be fetched (no request is made). */
  allows(url: string): boolean {
    return isAllowedSource(url, this.opts.allowList);
  }

  /**
   * For a fetch another client makes (helm pulling from an OCI registry): whether `url` is allowed,
   * recorded like a GET (`not-allowed`, or `fetched` meaning "handed to that client").
   */
  admit(url: string, purpose: string): boolean {
    const ok = this.allows(url);
    this.records.push({
      url,
      purpose,
      outcome: ok ? 'fetched' : 'not-allowed',
      ...(ok ? {} : { reason: notAllowed(url) }),
    });
    return ok;
  }

  /** GET `url` for `purpose` (shown in the report), when it and every redirect on the way are allowed. */
  async get(url: string, purpose: string, headers?: Record<string, string>): Promise<FetchOutcome> {
    return this.record(
      url,
      purpose,
      await this.follow(url, {
        headers,
        allows: (u) => this.allows(u),
        notAllowed,
      }),
    );
  }

  /**
   * GET `/v2/<repository>/<apiPath>` of an OCI registry (the distribution API), when `oci://host/repository`
   * is allowed. The URL is built here from the allowed reference, so only that repository's API is reached;
   * redirects only within it. HTTPS, except a loopback registry, which is plain HTTP as Docker treats it
   * (dockerd: registries on 127.0.0.0/8 are insecure by default).
   */
  async getFromRegistry(
    ref: RegistryRepository,
    apiPath: string,
    purpose: string,
    headers?: Record<string, string>,
  ): Promise<FetchOutcome> {
    const source = `oci://${ref.host}/${ref.repository}`;
    const api = `${registryOrigin(ref.host)}/v2/${ref.repository}/`;
    const url = `${api}${apiPath}`;
    if (!REPOSITORY_NAME.test(ref.repository))
      return this.record(url, purpose, {
        outcome: 'failed',
        url,
        reason: `${ref.repository} is not a registry repository name (lowercase path components)`,
      });
    if (!this.allows(source))
      return this.record(url, purpose, { outcome: 'not-allowed', url, reason: notAllowed(source) });
    return this.record(
      url,
      purpose,
      await this.follow(url, {
        headers,
        allows: (u) => u.startsWith(api),
        notAllowed: (u) => `${u} is outside ${source}'s registry API: not fetched`,
      }),
    );
  }

  /**
   * GET a registry's token endpoint (the realm of its Bearer challenge) for anonymous pull of an allowed
   * repository: only a realm on the registry's own host name is asked (public.ecr.aws/token), never
   * another (Docker Hub's auth.docker.io is not asked: its images are reported as not checked).
   */
  async getRegistryToken(ref: RegistryRepository, realm: string, purpose: string): Promise<FetchOutcome> {
    const source = `oci://${ref.host}/${ref.repository}`;
    // The registry's own host name (any port), with the scheme the registry itself is reached over.
    let sameHost = false;
    try {
      const r = new URL(realm);
      const origin = new URL(registryOrigin(ref.host));
      sameHost = r.hostname === origin.hostname && r.protocol === origin.protocol;
    } catch {
      sameHost = false;
    }
    if (!this.allows(source) || !sameHost) {
      const reason = !this.allows(source)
        ? notAllowed(source)
        : `the token service ${realm} is not on the registry's host ${ref.host}: not asked`;
      return this.record(realm, purpose, { outcome: 'not-allowed', url: realm, reason });
    }
    const origin = new URL(realm).origin;
    return this.record(
      realm,
      purpose,
      await this.follow(realm, {
        allows: (u) => u.startsWith(`${origin}/`),
        notAllowed: (u) => `${u} is not on the registry's host ${ref.host}: not fetched`,
      }),
    );
  }

  private record(url: string, purpose: string, out: FetchOutcome): FetchOutcome {
    this.records.push({
      url,
      purpose,
      outcome: out.outcome,
      ...(out.outcome === 'fetched' ? {} : { reason: out.reason }),
    });
    return out;
  }

  private async follow(start: string, f: FollowOptions): Promise<FetchOutcome> {
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (!/^https?:$/.test(safeProtocol(url))) {
        return f.allows(url)
          ? {
              outcome: 'failed',
              url,
              reason: `${safeProtocol(url) || 'this'} URLs are not fetched over HTTP`,
            }
          : { outcome: 'not-allowed', url, reason: f.notAllowed(url) };
      }
      if (!f.allows(url)) return { outcome: 'not-allowed', url, reason: f.notAllowed(url) };
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          redirect: 'manual',
          ...(f.headers ? { headers: f.headers } : {}),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        return { outcome: 'failed', url, reason: connectionError(err) };
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        const next = new URL(res.headers.get('location')!, url).toString();
        await res.body?.cancel();
        if (!f.allows(next)) {
          return {
            outcome: 'not-allowed',
            url: next,
            reason: `${url} redirects to ${next}: ${f.notAllowed(next)}`,
          };
        }
        url = next;
        continue;
      }
      const max = this.opts.maxBytes ?? 16 * 1024 * 1024;
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > max) return { outcome: 'failed', url, reason: `larger than ${max} bytes` };
      if (!res.ok) {
        const challenge = res.headers.get('www-authenticate');
        return {
          outcome: 'failed',
          url,
          reason: `HTTP ${res.status}`,
          status: res.status,
          ...(challenge ? { challenge } : {}),
        };
      }
      return {
        outcome: 'fetched',
        url,
        status: res.status,
        contentType: res.headers.get('content-type') ?? '',
        body,
      };
    }
    return { outcome: 'failed', url, reason: `more than ${MAX_REDIRECTS} redirects` };
  }
}

/** `https://host`, or `http://host` for a loopback registry (Docker's default for 127.0.0.0/8 and localhost). */
export function registryOrigin(host: string): string {
  const name = host
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  const loopback = name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '::1';
  return `${loopback ? 'http' : 'https'}://${host.toLowerCase()}`;
}

/** fetch's `fetch failed` with what failed underneath (ENOTFOUND, ECONNREFUSED, a certificate error). */
function connectionError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail && !err.message.includes(detail) ? `${err.message} (${detail})` : err.message;
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

function notAllowed(url: string): string {
  return `${url} is not under any allowedSources entry of main's platform.yaml: not fetched (a source a pull request adds is reviewed first, then merged)`;
}
