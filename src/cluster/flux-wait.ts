import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { isTransientError } from '../util/retry.js';
import { FLUX_NAMESPACE, SYNC_NAME } from './cluster-manifests.js';
import { describeRef, KubeApiError, type KubeClient, type KubeObject } from './kube-client.js';

export const GIT_REPOSITORY = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' } as const;
export const KUSTOMIZATION = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' } as const;
export const HELM_RELEASE = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' } as const;
/** The Kustomizations every region has (gitops/clusters/<region>/). */
export const REGION_KUSTOMIZATIONS = ['infra-controllers', 'infra-configs', 'apps'];
export const RECONCILE_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

export interface FluxObjectState {
  kind: string;
  name: string;
  namespace: string;
  ready: boolean;
  message: string;
}

/** Ask Flux to fetch and apply now (what `flux reconcile` does): annotate the sync objects. */
export async function requestReconcile(client: KubeClient, requestedAt: string): Promise<void> {
  const patch = { metadata: { annotations: { [RECONCILE_ANNOTATION]: requestedAt } } };
  for (const t of [GIT_REPOSITORY, KUSTOMIZATION]) {
    await client.mergePatch({ ...t, name: SYNC_NAME, namespace: FLUX_NAMESPACE }, patch);
  }
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface FluxStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  lastHandledReconcileAt?: string;
  lastAppliedRevision?: string;
  artifact?: { revision?: string };
}

function statusOf(o: KubeObject): FluxStatus {
  return (o.status as FluxStatus | undefined) ?? {};
}

/**
 * One look at the Flux objects: the sync objects (which must have handled `requestedAt`), the region's
 * Kustomizations (which must have applied the revision the GitRepository now holds) and every HelmRelease.
 */
export async function fluxStates(client: KubeClient, requestedAt: string): Promise<FluxObjectState[]> {
  const [repos, kustomizations, releases] = await Promise.all([
    client.list(GIT_REPOSITORY.apiVersion, GIT_REPOSITORY.kind, FLUX_NAMESPACE),
    client.list(KUSTOMIZATION.apiVersion, KUSTOMIZATION.kind, FLUX_NAMESPACE),
    client.list(HELM_RELEASE.apiVersion, HELM_RELEASE.kind),
  ]);
  const states: FluxObjectState[] = [];
  const repo = repos.find((r) => r.metadata.name === SYNC_NAME);
  const revision = repo ? statusOf(repo).artifact?.revision : undefined;
  states.push(
    repo
      ? evaluate(repo, { requestedAt })
      : missing(
          GIT_REPOSITORY.kind,
          SYNC_NAME,
          FLUX_NAMESPACE,
          'not found (it was applied: was it deleted?)',
        ),
  );
  const byName = new Map(kustomizations.map((k) => [k.metadata.name, k]));
  const names = [SYNC_NAME, ...REGION_KUSTOMIZATIONS];
  for (const k of kustomizations) if (!names.includes(k.metadata.name)) names.push(k.metadata.name);
  for (const name of names) {
    const k = byName.get(name);
    if (!k) {
      states.push(
        missing(
          KUSTOMIZATION.kind,
          name,
          FLUX_NAMESPACE,
          `not created yet (Kustomization ${SYNC_NAME} applies it from gitops/clusters/<region>)`,
        ),
      );
      continue;
    }
    const source = (k.spec as { sourceRef?: { kind?: string; name?: string } } | undefined)?.sourceRef;
    const fromSync = source?.kind === GIT_REPOSITORY.kind && source.name === SYNC_NAME;
    states.push(
      evaluate(k, {
        requestedAt: name === SYNC_NAME ? requestedAt : undefined,
        revision: fromSync ? revision : undefined,
      }),
    );
  }
  for (const hr of releases.sort((a, b) => key(a).localeCompare(key(b)))) states.push(evaluate(hr, {}));
  return states;
}

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function missing(kind: string, name: string, namespace: string, message: string): FluxObjectState {
  return { kind, name, namespace, ready: false, message };
}

function evaluate(o: KubeObject, want: { requestedAt?: string; revision?: string }): FluxObjectState {
  const base = { kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? '' };
  if ((o.spec as { suspend?: boolean } | undefined)?.suspend) {
    return { ...base, ready: true, message: 'suspended (not waited for)' };
  }
  const st = statusOf(o);
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  const text = ready
    ? `Ready=${ready.status ?? 'Unknown'}${ready.reason ? ` (${ready.reason})` : ''}${ready.message ? `: ${ready.message}` : ''}`
    : 'no Ready condition yet';
  if (ready?.status !== 'True') return { ...base, ready: false, message: text };
  const generation = o.metadata.generation;
  if (generation !== undefined && (st.observedGeneration ?? -1) < generation) {
    return {
      ...base,
      ready: false,
      message: `${text} (for generation ${st.observedGeneration ?? '?'}; current is ${generation})`,
    };
  }
  if (want.requestedAt && st.lastHandledReconcileAt !== want.requestedAt) {
    return {
      ...base,
      ready: false,
      message: `${text} (reconcile requested at ${want.requestedAt} not handled yet)`,
    };
  }
  if (want.revision && st.lastAppliedRevision !== want.revision) {
    return {
      ...base,
      ready: false,
      message: `${text} (applied ${st.lastAppliedRevision ?? 'nothing'}; source is at ${want.revision})`,
    };
  }
  return { ...base, ready: true, message: text };
}

export interface WaitForFluxOptions {
  client: KubeClient;
  requestedAt: string;
  timeoutMs: number;
  pollMs: number;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Resolves when a watched object changes: the wait looks again then rather than at the next poll. */
  wake?: () => Promise<void>;
}

/** Least time between two looks when woken by the watch (a burst of events is one look). */
const WAKE_DEBOUNCE_MS = 1000;

export interface WaitForFluxResult {
  ready: boolean;
  states: FluxObjectState[];
  polls: number;
}

/**
 * Look at the Flux objects (at every poll, and whenever the watch reports a change) until every one is
 * Ready for the current generation and revision, logging each change of state; on timeout the result
 * lists what is not Ready and why. Transient API errors are
 * logged and retried at the next poll; access errors end the wait.
 */
export async function waitForFlux(opts: WaitForFluxOptions): Promise<WaitForFluxResult> {
  const deadline = opts.now() + opts.timeoutMs;
  const seen = new Map<string, string>();
  let states: FluxObjectState[] = [];
  let polls = 0;
  for (;;) {
    polls++;
    try {
      states = await fluxStates(opts.client, opts.requestedAt);
      for (const s of states) {
        const id = describeRef(s);
        const line = `${s.ready ? 'ready' : 'waiting'}: ${s.message}`;
        if (seen.get(id) !== line) {
          seen.set(id, line);
          opts.logger.info(`${id}: ${line}`);
        }
      }
      if (states.every((s) => s.ready)) return { ready: true, states, polls };
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) throw err;
      if (
        !(err instanceof KubeApiError) ||
        !(err.status === undefined || isTransientError(err) || err.status >= 500)
      ) {
        throw err;
      }
      opts.logger.warn(`could not read the Flux objects (will retry): ${errorMessage(err)}`);
    }
    const left = deadline - opts.now();
    if (left <= 0) return { ready: false, states, polls };
    const waitMs = Math.min(opts.pollMs, left);
    const wake = opts.wake;
    await (wake
      ? Promise.race([opts.sleep(waitMs), wake().then(() => opts.sleep(Math.min(WAKE_DEBOUNCE_MS, waitMs)))])
      : opts.sleep(waitMs));
  }
}
