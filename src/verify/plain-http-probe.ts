import type { KnownBehaviour } from './check-result.js';
import { probeHttp } from './http-probe.js';
import type { ProbeTarget } from './probe-targets.js';
import { findOverride, type ResolveOverride } from './resolve-overrides.js';
import type { VerifyContext } from './verify-context.js';

/**
 * Port 80 goes where port 443 goes unless told otherwise: an override for host:443 without one for
 * host:80 means "this host lives at that address", so port 80 is tried there.
 */
function port80Overrides(resolve: ResolveOverride[], hosts: string[]): ResolveOverride[] {
  const out = [...resolve];
  for (const host of hosts) {
    if (findOverride(resolve, host, 80)) continue;
    const tls = findOverride(resolve, host, 443);
    if (tls) out.push({ host, port: 80, address: tls.address });
  }
  return out;
}

/**
 * What plain HTTP on port 80 does (redirect, refused, timeout). The NLB has no port-80 listener on
 * purpose (ARCHITECTURE.md, Known Behaviors §2), so this is reported as known, never as a failure.
 */
export async function probePlainHttp(ctx: VerifyContext, targets: ProbeTarget[]): Promise<KnownBehaviour[]> {
  const named = targets.filter((t) => t.kind === 'apex' || t.kind === 'region');
  const resolve = port80Overrides(
    ctx.resolve,
    named.map((t) => t.host),
  );
  return Promise.all(
    named.map(async (t): Promise<KnownBehaviour> => {
      const p = await probeHttp({
        scheme: 'http',
        host: t.host,
        port: 80,
        path: '/',
        resolve,
        timeoutMs: Math.min(ctx.thresholds.httpTimeoutMs, 5000),
      });
      let outcome: string;
      let summary: string;
      if (p.statusCode !== undefined && p.statusCode >= 300 && p.statusCode < 400) {
        const toHttps = p.location?.startsWith('https://') ?? false;
        outcome = toHttps ? 'redirect-https' : 'redirect';
        summary = `port 80 redirects (${p.statusCode}) to ${p.location ?? '?'}`;
      } else if (p.statusCode !== undefined) {
        outcome = 'answers';
        summary = `port 80 answers HTTP ${p.statusCode} without a redirect`;
      } else if (p.errorCode === 'ECONNREFUSED') {
        outcome = 'refused';
        summary =
          'port 80 refuses connections: browsers fall back to HTTPS after a moment (no HTTP listener on the NLB)';
      } else if (p.errorCode === 'ETIMEDOUT') {
        outcome = 'timeout';
        summary = `port 80 does not answer within ${Math.min(ctx.thresholds.httpTimeoutMs, 5000)} ms: browsers show "not secure" until they retry HTTPS (no HTTP listener on the NLB)`;
      } else {
        outcome = 'error';
        summary = `port 80: ${p.error ?? 'no answer'}`;
      }
      return {
        id: 'plain-http',
        target: t.label,
        summary,
        details: {
          outcome,
          statusCode: p.statusCode,
          location: p.location,
          error: p.error,
          timings: p.timings,
        },
      };
    }),
  );
}
