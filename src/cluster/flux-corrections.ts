import type { KubeClient, KubeObject } from './kube-client.js';

/** What helm-controller corrected on the cluster (drift detection) or failed to, from its events. */
export interface FluxCorrection {
  namespace: string;
  helmRelease: string;
  reason: 'DriftCorrected' | 'DriftCorrectionFailed';
  /** helm-controller's message: the objects it changed back (`Deployment/coder/coder configured`…). */
  message: string;
  /** When it last happened. */
  at?: string;
  count?: number;
}

/**
 * The reasons helm-controller gives the events of its drift correction
 * (fluxcd/helm-controller internal/reconcile/correct_cluster_drift.go).
 */
const REASONS = new Set(['DriftCorrected', 'DriftCorrectionFailed']);

/**
 * HelmRelease drift corrections the cluster still remembers (core/v1 Events, kept about an hour by the
 * API server), newest first. Read by the cluster step at deploy time: the scheduled drift job has no
 * cluster access.
 */
export async function readFluxCorrections(client: KubeClient): Promise<FluxCorrection[]> {
  const events = (await client.list('v1', 'Event')) as (KubeObject & {
    involvedObject?: { kind?: string; name?: string; namespace?: string };
    reason?: string;
    message?: string;
    lastTimestamp?: string;
    eventTime?: string;
    count?: number;
  })[];
  return events
    .filter((e) => e.involvedObject?.kind === 'HelmRelease' && REASONS.has(e.reason ?? ''))
    .map((e): FluxCorrection => ({
      namespace: e.involvedObject?.namespace ?? e.metadata.namespace ?? '',
      helmRelease: e.involvedObject?.name ?? '',
      reason: e.reason as FluxCorrection['reason'],
      message: (e.message ?? '').trim(),
      ...(e.lastTimestamp || e.eventTime ? { at: e.lastTimestamp ?? e.eventTime } : {}),
      ...(e.count ? { count: e.count } : {}),
    }))
    .sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));
}
