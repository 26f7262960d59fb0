import type { CoderRegionReport } from '../apply/coder-region-step.js';

/** One line on what the Coder step did for a region: outcomes and secret names, never a token or key. */
export function coderSummary(c: CoderRegionReport | undefined): string {
  if (!c) return '-';
  if (c.status === 'failed' || c.status === 'skipped') return `${c.status}: ${c.reason ?? ''}`;
  const parts = [
    c.proxy && `proxy ${c.proxy.name} ${c.proxy.result} (token in ${c.proxy.tokenSecret})`,
    c.license && `licence ${c.license.result}`,
    c.provisionerKey &&
      `provisioner key ${c.provisionerKey.result}${c.provisionerKey.result === 'skipped' ? ' (no licence declared)' : ''}`,
    c.gate && `promotion gate ${c.gate.status}`,
  ].filter(Boolean);
  return parts.join(', ') || c.status;
}
