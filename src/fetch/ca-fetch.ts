import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

/**
 * A `fetch` (the subset the allowed fetcher uses: GET, headers, signal, redirects left to the caller)
 * that trusts an extra CA bundle besides Node's own roots: Node's global fetch reads extra CAs only at
 * process start (NODE_EXTRA_CA_CERTS), so a plan told about a proxy's or the sandbox's CA makes its
 * requests through node:https with that bundle instead.
 */
export function fetchTrustingCa(caPem: string): typeof fetch {
  const ca = [...rootCertificates, caPem];
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const opts = { method: init?.method ?? 'GET', headers, signal: init?.signal ?? undefined };
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, { ...opts, ca }, resolve)
          : httpRequest(url, opts, resolve);
      req.on('error', reject);
      req.end();
    });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
    }
    const status = res.statusCode ?? 0;
    const noBody = status === 204 || status === 304 || init?.method === 'HEAD';
    if (noBody) res.resume();
    return new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
      status,
      statusText: res.statusMessage ?? '',
      headers: out,
    });
  }) as typeof fetch;
}
