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
  | { outcome: 'failed'; url: string; reason: string };

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
  async get(url: string, purpose: string): Promise<FetchOutcome> {
    const out = await this.follow(url);
    this.records.push({
      url,
      purpose,
      outcome: out.outcome,
      ...(out.outcome === 'fetched' ? {} : { reason: out.reason }),
    });
    return out;
  }

  private async follow(start: string): Promise<FetchOutcome> {
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (!/^https?:$/.test(safeProtocol(url))) {
        return this.allows(url)
          ? {
              outcome: 'failed',
              url,
              reason: `${safeProtocol(url) || 'this'} URLs are not fetched over HTTP`,
            }
          : { outcome: 'not-allowed', url, reason: notAllowed(url) };
      }
      if (!this.allows(url)) return { outcome: 'not-allowed', url, reason: notAllowed(url) };
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          redirect: 'manual',
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        return { outcome: 'failed', url, reason: err instanceof Error ? err.message : String(err) };
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        const next = new URL(res.headers.get('location')!, url).toString();
        await res.body?.cancel();
        if (!this.allows(next)) {
          return {
            outcome: 'not-allowed',
            url: next,
            reason: `${url} redirects to ${next}: ${notAllowed(next)}`,
          };
        }
        url = next;
        continue;
      }
      const max = this.opts.maxBytes ?? 16 * 1024 * 1024;
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > max) return { outcome: 'failed', url, reason: `larger than ${max} bytes` };
      if (!res.ok) return { outcome: 'failed', url, reason: `HTTP ${res.status}` };
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
