import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { FLUX_NAMESPACE } from './cluster-manifests.js';
import { GIT_REPOSITORY, HELM_RELEASE, KUSTOMIZATION } from './flux-wait.js';
import type { KubeClient } from './kube-client.js';

interface Watched {
  apiVersion: string;
  kind: string;
  namespace?: string;
  /** Last resourceVersion seen: a dropped watch resumes from here. Undefined = list again first. */
  resourceVersion?: string;
  /** Consecutive resumes without an event in between. */
  failures: number;
  controller?: AbortController;
}

/** After this many resumes in a row without an event, the kind is followed by polling alone. */
const MAX_FAILURES = 5;

/**
 * Watches the Flux objects so the wait can look again as soon as something changes, instead of at the
 * next poll. A dropped watch is resumed from the last resourceVersion seen (after a 410 Gone, from a
 * fresh list); a watch that keeps failing is given up and the wait goes on polling.
 */
export class FluxWatch {
  private readonly watched: Watched[] = [
    { ...GIT_REPOSITORY, namespace: FLUX_NAMESPACE, failures: 0 },
    { ...KUSTOMIZATION, namespace: FLUX_NAMESPACE, failures: 0 },
    { ...HELM_RELEASE, failures: 0 },
  ];
  private waiters: (() => void)[] = [];
  private stopped = false;
  /** Watches resumed after a drop (for reports and tests). */
  resumes = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
  ) {}

  /** Open the watches in the background; the wait polls regardless, so a watch that never connects costs nothing. */
  start(): void {
    for (const w of this.watched) this.open(w).catch((err: unknown) => this.resume(w, err));
  }

  /** Resolves at the next change to any watched object (or when the watch stops). */
  changed(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watched) w.controller?.abort();
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private async open(w: Watched): Promise<void> {
    if (w.resourceVersion === undefined) {
      w.resourceVersion = (
        await this.client.listWithVersion(w.apiVersion, w.kind, w.namespace)
      ).resourceVersion;
    }
    let done = false;
    w.controller = await this.client.watch(
      w.apiVersion,
      w.kind,
      w.namespace,
      w.resourceVersion,
      (type, obj) => {
        if (type === 'ERROR') {
          // 410 Gone: the resourceVersion is too old to resume from.
          w.resourceVersion = undefined;
          return;
        }
        w.failures = 0;
        const rv = obj?.metadata?.resourceVersion;
        if (rv) w.resourceVersion = rv;
        if (type !== 'BOOKMARK') this.notify();
      },
      (err) => {
        if (done) return;
        done = true;
        this.resume(w, err);
      },
    );
    if (this.stopped) w.controller.abort();
  }

  private resume(w: Watched, err: unknown): void {
    if (this.stopped) return;
    // A clean close is the server ending a long watch: resume at once. Errors back off and, repeated, give up.
    let delayMs = 200;
    if (err) {
      if (w.failures >= MAX_FAILURES) {
        this.logger.warn(
          `the watch of ${w.kind} keeps failing (${errorMessage(err)}): following it by polling only`,
        );
        return;
      }
      delayMs = Math.min(1000 * 2 ** w.failures, 10_000);
      w.failures++;
    }
    this.resumes++;
    this.logger.debug(
      `watch of ${w.kind} ended (${err ? errorMessage(err) : 'closed by the server'}); resuming from resourceVersion ${w.resourceVersion ?? '(a fresh list)'}`,
    );
    const timer = setTimeout(() => {
      if (this.stopped) return;
      this.open(w).catch((e: unknown) => this.resume(w, e));
    }, delayMs);
    timer.unref();
  }
}
