import { tryAttempts } from './attempts.js';
import type { CheckResult, PhaseTimings } from './check-result.js';
import { probeHttp, type HttpProbeResult } from './http-probe.js';
import type { ProbeTarget } from './probe-targets.js';
import { classifyCertificate } from './tls-classify.js';
import type { VerifyContext } from './verify-context.js';

export const BUILDINFO_PATH = '/api/v2/buildinfo';

export interface HttpsProbeRecord {
  target: ProbeTarget;
  probe: HttpProbeResult;
  /** `version` from buildinfo, when it answered. */
  version?: string;
}

function buildinfoVersion(p: HttpProbeResult): string | undefined {
  if (p.statusCode !== 200 || !p.body) return undefined;
  try {
    const v = (JSON.parse(p.body) as { version?: unknown }).version;
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

function describeFailure(p: HttpProbeResult): string {
  if (p.error) return `${p.failedPhase ?? 'request'} failed: ${p.error}`;
  if (p.statusCode !== 200) return `HTTP ${p.statusCode ?? '?'}`;
  return 'answer is not Coder buildinfo JSON (no version)';
}

function ms(n: number | undefined): string {
  return n === undefined ? '–' : `${Math.round(n)} ms`;
}

function timingsText(t: PhaseTimings): string {
  return `dns ${ms(t.dns)}, connect ${ms(t.connect)}, tls ${ms(t.tls)}, first byte ${ms(t.firstByte)}, total ${ms(t.total)}`;
}

function incidentKey(check: string, t: ProbeTarget): string {
  return `${check}:${t.region ?? 'global'}`;
}

/**
 * GET /api/v2/buildinfo on every target (with retries); returns one `https` and one `tls` result
 * per target (each only when asked for) and the probes, for the version check.
 */
export async function runHttpsChecks(
  ctx: VerifyContext,
  targets: ProbeTarget[],
  want: { https: boolean; tls: boolean },
): Promise<{ results: CheckResult[]; probes: HttpsProbeRecord[] }> {
  const records = await Promise.all(
    targets.map(async (target) => {
      const outcome = await tryAttempts(
        () =>
          probeHttp({
            scheme: 'https',
            host: target.host,
            port: 443,
            path: BUILDINFO_PATH,
            resolve: ctx.resolve,
            ca: ctx.ca,
            timeoutMs: ctx.thresholds.httpTimeoutMs,
          }),
        (p) => buildinfoVersion(p) !== undefined,
        { attempts: ctx.attempts, sleep: ctx.sleep },
      );
      return { target, outcome };
    }),
  );

  const results: CheckResult[] = [];
  const probes: HttpsProbeRecord[] = [];
  for (const { target, outcome } of records) {
    const p = outcome.value;
    const version = buildinfoVersion(p);
    probes.push({ target, probe: p, version });
    const failures = outcome.failures.map(describeFailure);
    if (want.https) {
      const notes: string[] = [];
      if (outcome.flaky) notes.push(`flaky: passed on try ${outcome.attempts} after ${failures.join('; ')}`);
      results.push({
        check: 'https',
        key: `https:${target.label}`,
        incidentKey: incidentKey('https', target),
        target: target.label,
        region: target.region,
        status: outcome.ok ? 'pass' : 'fail',
        summary: outcome.ok
          ? `HTTP ${p.statusCode}, ${version} (${timingsText(p.timings)})`
          : `${describeFailure(p)} after ${outcome.attempts} tr${outcome.attempts === 1 ? 'y' : 'ies'}`,
        reason: outcome.ok ? undefined : describeFailure(p),
        attempts: outcome.attempts,
        flaky: outcome.flaky,
        notes,
        timings: p.timings,
        details: {
          host: target.host,
          url: p.url,
          statusCode: p.statusCode,
          remoteAddress: p.remoteAddress,
          version,
          error: p.error,
          failedPhase: p.failedPhase,
          earlierFailures: failures,
        },
      });
    }
    if (want.tls) results.push(tlsResult(ctx, target, p, outcome.attempts));
  }
  return { results, probes };
}

function tlsResult(
  ctx: VerifyContext,
  target: ProbeTarget,
  p: HttpProbeResult,
  attempts: number,
): CheckResult {
  const base = {
    check: 'tls' as const,
    key: `tls:${target.label}`,
    incidentKey: incidentKey('tls', target),
    target: target.label,
    region: target.region,
    attempts,
    flaky: false,
    notes: [] as string[],
  };
  if (!p.tls) {
    // Nothing to judge when the connection never got as far as a handshake; https says why.
    const handshakeFailed = p.failedPhase === 'tls';
    return {
      ...base,
      status: handshakeFailed ? 'fail' : 'not-run',
      summary: handshakeFailed
        ? `TLS handshake failed: ${p.error ?? 'unknown'}`
        : `no TLS session: ${describeFailure(p)}`,
      reason: p.error ?? describeFailure(p),
      details: { host: target.host },
    };
  }
  const c = classifyCertificate(
    {
      validTo: p.tls.validTo ? new Date(p.tls.validTo) : undefined,
      trusted: p.tls.trusted,
      trustError: p.tls.trustError,
      nameCovered: p.tls.nameCovered,
      nameError: p.tls.nameError,
    },
    ctx.now(),
    { warnDays: ctx.thresholds.tlsWarnDays, failDays: ctx.thresholds.tlsFailDays },
  );
  const days = c.daysToExpiry === undefined ? '' : `, ${c.daysToExpiry} days to expiry`;
  return {
    ...base,
    status: c.status,
    summary:
      c.status === 'pass'
        ? `valid, ${p.tls.protocol ?? '?'}${days}`
        : `${c.reasons.join('; ')} (${p.tls.protocol ?? '?'})`,
    reason: c.reasons.length ? c.reasons.join('; ') : undefined,
    details: {
      host: target.host,
      protocol: p.tls.protocol,
      cipher: p.tls.cipher,
      daysToExpiry: c.daysToExpiry,
      validTo: p.tls.validTo,
      validFrom: p.tls.validFrom,
      subject: p.tls.subject,
      issuer: p.tls.issuer,
      subjectAltName: p.tls.subjectAltName,
      trusted: p.tls.trusted,
      nameCovered: p.tls.nameCovered,
    },
  };
}
