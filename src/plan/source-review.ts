import { AllowedFetcher, isAllowedSource } from '../fetch/allowed-fetch.js';
import { fetchTrustingCa } from '../fetch/ca-fetch.js';
import { readFluxSources } from '../gitops/flux-sources.js';
import type { GitopsConfig } from '../gitops/types.js';
import type { RiskFinding } from './plan-types.js';

/*
 * Which sources the plan may reach is decided by main (the base checkout's platform.yaml), never by the
 * pull request: its own allowedSources are what it proposes, shown for review and trusted only once merged.
 */

/**
 * The allow-list the plan trusts: main's `allowedSources`; for a main without that key, the sources main's
 * own Flux files declare; none without a base (nothing is fetched then).
 */
export function trustedAllowList(baseConfig: GitopsConfig | undefined): readonly string[] {
  if (!baseConfig) return [];
  return baseConfig.platform.allowedSources ?? readFluxSources(baseConfig.dir).map((s) => s.url);
}

/** The one fetcher for everything the plan fetches on a pull request's say (chart indexes, versions, images). */
export function planFetcher(
  baseConfig: GitopsConfig | undefined,
  /** A CA bundle (PEM) trusted besides Node's roots: a proxy's, or a local test server's. */
  opts: { ca?: string; fetchImpl?: typeof fetch } = {},
): AllowedFetcher {
  const fetchImpl = opts.fetchImpl ?? (opts.ca ? fetchTrustingCa(opts.ca) : undefined);
  return new AllowedFetcher({
    allowList: trustedAllowList(baseConfig),
    ...(fetchImpl ? { fetchImpl } : {}),
  });
}

/**
 * Findings for what the pull request adds to where things come from: a Flux source outside main's
 * allow-list (high: Flux fetches it after the merge, and the plan will not), and allow-list entries main
 * does not have (medium). Without a base there is nothing to compare with: no findings, and nothing trusted.
 */
export function reviewSources(config: GitopsConfig, baseConfig: GitopsConfig | undefined): RiskFinding[] {
  if (!baseConfig) return [];
  const trusted = trustedAllowList(baseConfig);
  const findings: RiskFinding[] = [];
  for (const s of readFluxSources(config.dir)) {
    if (isAllowedSource(s.url, trusted)) continue;
    findings.push({
      level: 'high',
      rule: 'new-source',
      subject: `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`,
      message: `fetches from ${s.url || '(no URL)'} (${s.file}:${s.line}), which main's platform.yaml does not allow (allowedSources): the plan did not fetch it; after the merge Flux will`,
    });
  }
  for (const entry of config.platform.allowedSources ?? []) {
    if (trusted.includes(entry)) continue;
    findings.push({
      level: 'medium',
      rule: 'new-source',
      subject: `${config.platform.file} allowedSources`,
      message: `adds ${entry}: once merged, Flux and the plan may fetch from it`,
    });
  }
  return findings;
}
