import { lookup } from 'node:dns/promises';
import type { GitopsConfig } from '../gitops/types.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';
import { failingResults } from '../verify/check-result.js';
import { runVerify } from '../verify/verify-engine.js';

export interface RegionVerifyInput {
  config: GitopsConfig;
  region: string;
  /** The region's NLB DNS name: its own names are probed at this address, before DNS points there. */
  nlbDnsName: string;
  /** Overrides from the caller (tests, sandbox): used as given instead of resolving the NLB. */
  resolve?: ResolveOverride[];
  caFile?: string;
  nameserver?: { host: string; port: number };
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface RegionVerifyResult {
  /** `not-run`: a check could not run; never promoted on. */
  status: 'pass' | 'degraded' | 'fail' | 'not-run';
  summary: string;
}

/** How apply asks whether a region may enter latency routing (injectable for tests). */
export type RegionVerifier = (input: RegionVerifyInput) => Promise<RegionVerifyResult>;

/** `<region>.<domain>` and `*.<region>.<domain>` on 443 → the NLB's first address. */
export async function nlbResolveOverrides(
  domain: string,
  region: string,
  nlbDnsName: string,
  resolveName: (name: string) => Promise<string> = async (name) => (await lookup(name)).address,
): Promise<ResolveOverride[]> {
  const address = await resolveName(nlbDnsName);
  return [`${region}.${domain}`, `*.${region}.${domain}`].map((host) => ({ host, port: 443, address }));
}

/**
 * The verify engine's HTTPS and TLS checks on the region's own names only (scope `region-only`),
 * probing the NLB directly. Never throws: a probe that cannot even start is a `fail`.
 */
export const verifyRegionEndpoint: RegionVerifier = async (input) => {
  try {
    const resolve =
      input.resolve && input.resolve.length > 0
        ? input.resolve
        : await nlbResolveOverrides(input.config.platform.domain, input.region, input.nlbDnsName);
    const report = await runVerify({
      config: input.config,
      regions: [input.region],
      checks: ['https', 'tls'],
      scope: 'region-only',
      resolve,
      caFile: input.caFile,
      nameserver: input.nameserver,
      attempts: 3,
      logger: input.logger,
      sleep: input.sleep,
    });
    const failing = failingResults(report.results);
    const notRun = report.results.filter((r) => r.status === 'not-run');
    const passed = report.results.filter((r) => r.status === 'pass' || r.status === 'warn').length;
    if (failing.length > 0) {
      return {
        status: report.status,
        summary: failing
          .map((r) => `${r.target}: ${r.summary}${r.reason ? ` (${r.reason})` : ''}`)
          .join('; '),
      };
    }
    // A region enters latency routing only on checks that ran: one that did not is not a pass.
    if (notRun.length > 0 || passed === 0) {
      return {
        status: 'not-run',
        summary: `${passed} passed, ${notRun.length} not run (${notRun.map((r) => `${r.target}: ${r.reason ?? r.summary}`).join('; ') || 'no checks'})`,
      };
    }
    return { status: 'pass', summary: `${passed} passed, 0 not run` };
  } catch (err) {
    return { status: 'fail', summary: `verification could not run: ${errorMessage(err)}` };
  }
};
