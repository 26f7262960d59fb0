import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';
import type { PhaseTimings } from './check-result.js';
import { PhaseTimer } from './phase-timer.js';
import { findOverride, overrideLookup, type ResolveOverride } from './resolve-overrides.js';
import { errorCode, errorMessage } from '../util/errors.js';

export interface HttpProbeOptions {
  scheme: 'https' | 'http';
  host: string;
  port: number;
  path: string;
  resolve?: readonly ResolveOverride[];
  /** Trusted CAs (PEM); undefined = Node's default store. */
  ca?: string[];
  timeoutMs: number;
  /** Largest body kept, in bytes. */
  maxBodyBytes?: number;
  /** Clock for the phase timer (tests). */
  clock?: () => number;
}

/** What the peer's certificate looked like, verified by hand so an invalid one is still described. */
export interface PeerTls {
  protocol?: string;
  cipher?: string;
  trusted: boolean;
  trustError?: string;
  nameCovered: boolean;
  nameError?: string;
  subject?: string;
  issuer?: string;
  subjectAltName?: string;
  validFrom?: string;
  validTo?: string;
}

export type FailedPhase = 'dns' | 'connect' | 'tls' | 'response';

export interface HttpProbeResult {
  url: string;
  /** Address actually connected to (override or DNS). */
  remoteAddress?: string;
  statusCode?: number;
  location?: string;
  body?: string;
  error?: string;
  errorCode?: string;
  failedPhase?: FailedPhase;
  timings: PhaseTimings;
  tls?: PeerTls;
}

function formatName(n: Record<string, string | string[]> | undefined): string | undefined {
  if (!n) return undefined;
  return Object.entries(n)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

/** Describe the TLS session of a socket; never throws. */
// Building a TLS context from Node's whole root store plus the extra CA costs more than the request
// itself on loopback (bench/README.md): build it once per CA list (a run passes the same array).
const contexts = new WeakMap<readonly string[], tls.SecureContext>();
function secureContextFor(ca: string[] | undefined): tls.SecureContext | undefined {
  if (!ca) return undefined;
  let context = contexts.get(ca);
  if (!context) {
    context = tls.createSecureContext({ ca });
    contexts.set(ca, context);
  }
  return context;
}

function describeTls(socket: tls.TLSSocket, host: string): PeerTls {
  const cert = socket.getPeerCertificate();
  const hasCert = !!cert && Object.keys(cert).length > 0;
  const nameErr = hasCert ? tls.checkServerIdentity(host, cert) : new Error('no certificate');
  const out: PeerTls = {
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.name,
    trusted: socket.authorized,
    nameCovered: !nameErr,
  };
  if (!socket.authorized && socket.authorizationError) out.trustError = String(socket.authorizationError);
  if (nameErr) out.nameError = nameErr.message;
  if (hasCert) {
    out.subject = formatName(cert.subject as unknown as Record<string, string>);
    out.issuer = formatName(cert.issuer as unknown as Record<string, string>);
    if (cert.subjectaltname) out.subjectAltName = cert.subjectaltname;
    out.validFrom = new Date(cert.valid_from).toISOString();
    out.validTo = new Date(cert.valid_to).toISOString();
  }
  return out;
}

/**
 * One HTTP(S) GET with phase timings (DNS, connect, TLS, first byte, total) from socket events.
 * Honours curl-style resolve overrides; the certificate is checked by hand (chain and name) so an
 * invalid one is still described. Never throws: failures come back with the phase that failed.
 */
export function probeHttp(opts: HttpProbeOptions): Promise<HttpProbeResult> {
  const timer = new PhaseTimer(opts.clock);
  const override = findOverride(opts.resolve, opts.host, opts.port);
  const port = override?.targetPort ?? opts.port;
  const defaultPort = opts.scheme === 'https' ? 443 : 80;
  const hostHeader = opts.port === defaultPort ? opts.host : `${opts.host}:${opts.port}`;
  const url = `${opts.scheme}://${hostHeader}${opts.path}`;
  const maxBody = opts.maxBodyBytes ?? 65_536;

  const lookup = overrideLookup(override);

  return new Promise((resolve) => {
    let settled = false;
    let peer: PeerTls | undefined;
    let remoteAddress: string | undefined;
    const finish = (r: Omit<HttpProbeResult, 'url' | 'timings' | 'tls' | 'remoteAddress'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const result: HttpProbeResult = { url, ...r, timings: timer.timings() };
      if (peer) result.tls = peer;
      if (remoteAddress) result.remoteAddress = remoteAddress;
      resolve(result);
    };
    const failedPhase = (): FailedPhase => {
      if (!timer.has('lookup') && !timer.has('connect') && !isIP(opts.host) && !override) return 'dns';
      if (!timer.has('connect')) return 'connect';
      if (opts.scheme === 'https' && !timer.has('secureConnect')) return 'tls';
      return 'response';
    };

    timer.mark('start');
    const common: http.RequestOptions = {
      host: opts.host,
      port,
      path: opts.path,
      method: 'GET',
      agent: false,
      headers: { host: hostHeader, accept: 'application/json', 'user-agent': 'coder-gitops-verify' },
      lookup,
    };
    const req =
      opts.scheme === 'https'
        ? https.request({
            ...common,
            servername: isIP(opts.host) ? undefined : opts.host,
            // Verified by hand in describeTls so that an untrusted certificate is still reported.
            rejectUnauthorized: false,
            // Passed through to tls.connect; @types/node's https.RequestOptions does not list it.
            ...({ secureContext: secureContextFor(opts.ca) } as https.RequestOptions),
          })
        : http.request(common);

    const deadline = setTimeout(() => {
      const phase = failedPhase();
      req.destroy();
      finish({
        error: `timed out after ${opts.timeoutMs} ms (${phase})`,
        errorCode: 'ETIMEDOUT',
        failedPhase: phase,
      });
    }, opts.timeoutMs);

    req.on('socket', (socket: Socket) => {
      socket.once('lookup', (err: Error | null) => {
        if (!err) timer.mark('lookup');
      });
      socket.once('connect', () => {
        timer.mark('connect');
        remoteAddress = socket.remoteAddress;
      });
      socket.once('secureConnect', () => {
        timer.mark('secureConnect');
        peer = describeTls(socket as tls.TLSSocket, opts.host);
      });
    });
    req.on('response', (res) => {
      timer.mark('firstByte');
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < maxBody) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        timer.mark('end');
        const r: Omit<HttpProbeResult, 'url' | 'timings' | 'tls' | 'remoteAddress'> = {
          statusCode: res.statusCode,
          body: Buffer.concat(chunks).subarray(0, maxBody).toString('utf8'),
        };
        if (typeof res.headers.location === 'string') r.location = res.headers.location;
        finish(r);
      });
      res.on('error', (err) =>
        finish({ error: errorMessage(err), errorCode: errorCode(err), failedPhase: 'response' }),
      );
    });
    req.on('error', (err) => {
      finish({ error: errorMessage(err), errorCode: errorCode(err), failedPhase: failedPhase() });
    });
    req.end();
  });
}
