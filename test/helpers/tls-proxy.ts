import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueLeafCert, type LocalCa } from '../../src/sandbox/local-ca.js';

/*
 * platform.yaml allows only https:// (and oci://) sources, so a local HTTP chart repository is put behind
 * TLS for the plan: a reverse proxy on https://localhost:PORT with a leaf certificate from a local CA, and
 * a fetch that trusts that CA (the plan's AllowedFetcher takes it as `fetchImpl`).
 */

export interface TlsProxy {
  /** `https://localhost:PORT`. */
  url: string;
  stop(): Promise<void>;
}

/** A TLS reverse proxy in front of `target` (an `http://` base URL). */
export async function startTlsProxy(ca: LocalCa, target: string, name: string): Promise<TlsProxy> {
  const leaf = await issueLeafCert(ca, { names: ['localhost'], days: 30, file: `proxy-${name}` });
  const server: Server = createServer(
    { cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) },
    (req, res) => {
      const upstream = httpRequest(`${target}${req.url ?? '/'}`, { method: req.method }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A `fetch` (the subset the AllowedFetcher uses: GET, manual redirects, abort signal) trusting `ca`. */
export function fetchTrusting(ca: LocalCa): typeof fetch {
  const caPem = readFileSync(ca.certFile);
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    return await new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { ca: caPem, family: 4, signal: init?.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }) as typeof fetch;
}
