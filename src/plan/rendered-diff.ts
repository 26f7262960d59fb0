import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AllowedFetcher } from '../fetch/allowed-fetch.js';
import type { KubeObject, RenderedObject } from '../gitops/render-flux.js';
import type { HelmLocation } from '../helm/locate-helm.js';
import { HelmRunner } from '../helm/run-helm.js';
import { errorMessage } from '../util/errors.js';
import { ChartFetcher, chartSourceOf, describeSource, type ChartSource } from './chart-source.js';
import { releaseInput, renderChart, type RenderedChart } from './chart-render.js';
import { diffRendered } from './flux-diff.js';
import type { ChartRelease, ChartSide, ChartsPlan, FluxObjectChange } from './plan-types.js';

/*
 * What a HelmRelease change does in the cluster: every HelmRelease whose chart, values, release name or
 * chart source differs between base and head is rendered with helm on both sides and the rendered objects
 * are diffed like the Flux objects (flux-diff.ts). Unchanged releases are not rendered (nothing to show,
 * nothing fetched). A release that cannot be rendered says why; it is never left out silently.
 */

/** One plan's chart rendering: helm, the fetcher (main's allow-list) and a work folder shared by every region. */
export class ChartRendering {
  private readonly runner?: HelmRunner;
  private charts?: ChartFetcher;
  private work?: string;
  private seq = 0;

  constructor(
    readonly helm: HelmLocation,
    private readonly fetcher: AllowedFetcher,
  ) {
    if (helm.found) this.runner = new HelmRunner(helm.path);
  }

  private ready?: Promise<{ runner: HelmRunner; charts: ChartFetcher; work: string }>;

  /** One work folder and chart cache for the whole plan (regions are planned concurrently). */
  private setup(): Promise<{ runner: HelmRunner; charts: ChartFetcher; work: string }> {
    const runner = this.runner;
    if (!runner) return Promise.reject(new Error('helm not found'));
    this.ready ??= mkdtemp(path.join(tmpdir(), 'plan-charts-')).then((work) => {
      this.work = work;
      this.charts = new ChartFetcher(this.fetcher, runner, work);
      return { runner, charts: this.charts, work };
    });
    return this.ready;
  }

  /** The charts of one region: releases whose inputs changed, rendered at base and head. */
  async planRegion(
    region: string,
    base: RenderedObject[],
    head: RenderedObject[],
  ): Promise<ChartsPlan | undefined> {
    const baseObjects = base.map((r) => r.object);
    const headObjects = head.map((r) => r.object);
    const releases = new Map<string, { base?: RenderedObject; head?: RenderedObject }>();
    for (const r of base.filter(isHelmRelease)) releases.set(releaseKey(r.object), { base: r });
    for (const r of head.filter(isHelmRelease))
      releases.set(releaseKey(r.object), { ...releases.get(releaseKey(r.object)), head: r });
    const changed = [...releases.entries()].filter(
      ([, v]) => fingerprint(v.base?.object, baseObjects) !== fingerprint(v.head?.object, headObjects),
    );
    if (changed.length === 0) return undefined;
    const out: ChartsPlan = { releases: [] };
    if (this.helm.found) out.helm = `${this.helm.version} at ${this.helm.path}`;
    for (const [key, v] of changed.sort(([a], [b]) => a.localeCompare(b))) {
      out.releases.push(await this.planRelease(region, key, v.base, v.head, baseObjects, headObjects));
    }
    return out;
  }

  private async planRelease(
    region: string,
    key: string,
    base: RenderedObject | undefined,
    head: RenderedObject | undefined,
    baseObjects: KubeObject[],
    headObjects: KubeObject[],
  ): Promise<ChartRelease> {
    const entry: ChartRelease = {
      region,
      release: key,
      kustomization: (head ?? base)!.kustomization,
      status: 'not-rendered',
      changes: [],
      crds: [],
      images: [],
      unknownValues: [],
    };
    if (!this.helm.found) {
      return { ...entry, problem: 'helm-missing', reason: `charts not rendered: ${this.helm.reason}` };
    }
    const [b, h] = await Promise.all([
      base ? this.renderSide(base.object, baseObjects) : undefined,
      head ? this.renderSide(head.object, headObjects) : undefined,
    ]);
    for (const side of [h, b]) {
      if (side && 'problem' in side) {
        Object.assign(entry, { problem: side.problem, reason: side.message });
        if (side.side) entry[side === h ? 'after' : 'before'] = side.side;
      }
    }
    if (b && !('problem' in b)) entry.before = b.side;
    if (h && !('problem' in h)) {
      entry.after = h.side;
      entry.unknownValues = h.rendered.unknownValues.map((u) => u.path);
      if (h.valuesFrom) entry.valuesFromIgnored = h.valuesFrom;
    }
    const upgrade = (head?.object.spec as { upgrade?: { crds?: unknown } } | undefined)?.upgrade;
    if (typeof upgrade?.crds === 'string') entry.upgradeCrds = upgrade.crds;
    if (head) await this.checkPin(entry, head.object, headObjects);
    if (entry.problem) return entry;
    const label = `HelmRelease ${key}`;
    const wrap = (side: typeof b): RenderedObject[] =>
      side && !('problem' in side)
        ? side.rendered.objects.map((object) => ({
            kustomization: label,
            prune: true,
            object,
            unresolved: [],
          }))
        : [];
    entry.status = 'rendered';
    entry.changes = diffRendered(region, wrap(b), wrap(h));
    entry.crds = entry.changes
      .filter((c) => c.kind === 'CustomResourceDefinition')
      .map((c) => `${c.name} (${c.action})`);
    entry.images = imagesOf(entry.changes);
    return entry;
  }

  private async renderSide(
    release: KubeObject,
    objects: KubeObject[],
  ): Promise<
    | { side: ChartSide; rendered: RenderedChart; valuesFrom: number }
    | { problem: NonNullable<ChartRelease['problem']>; message: string; side?: ChartSide }
  > {
    const source = chartSourceOf(release, objects);
    if ('error' in source) return { problem: 'no-source', message: source.error };
    const { runner, charts, work } = await this.setup();
    const fetched = await charts.fetch(source);
    if (!fetched.ok) {
      const what = describeSource(source);
      return {
        problem: fetched.problem,
        message:
          fetched.problem === 'not-allowed'
            ? `chart source ${what} is not allow-listed in main's platform.yaml: not fetched`
            : fetched.problem === 'unreachable'
              ? `chart source ${what} unreachable: ${fetched.message}`
              : `chart from ${what} not resolved: ${fetched.message}`,
      };
    }
    const input = releaseInput(release);
    try {
      const rendered = await renderChart(runner, fetched.file, input, work, ++this.seq);
      const side: ChartSide = {
        chart: rendered.chart.name,
        version: rendered.chart.version,
        source: describeSource(source),
        ...(fetched.digest ? { digest: fetched.digest } : {}),
      };
      return { side, rendered, valuesFrom: input.valuesFrom };
    } catch (err) {
      return {
        problem: 'render-failed',
        message: `helm could not render ${fetched.version} from ${describeSource(source)}: ${errorMessage(err)}`,
      };
    }
  }

  /** OCI charts are pinned by digest: say when the pinned tag moved, or that there is no pin. */
  private async checkPin(entry: ChartRelease, release: KubeObject, objects: KubeObject[]): Promise<void> {
    const source = chartSourceOf(release, objects);
    if ('error' in source || source.kind !== 'OCIRepository' || !this.charts) return;
    const oci = source as ChartSource & { kind: 'OCIRepository' };
    if (!this.fetcher.allows(oci.url)) return;
    const tag = oci.tag ?? oci.semver;
    if (!oci.digest) {
      entry.unpinned = {
        source: describeSource(oci),
        ref: tag ?? '(none)',
        ...(entry.after?.digest ? { digest: entry.after.digest } : {}),
      };
      return;
    }
    if (!oci.tag) return;
    const now = await this.charts.resolveTag(oci, oci.tag);
    if (now.digest && now.digest !== oci.digest)
      entry.tagMoved = { source: describeSource(oci), tag: oci.tag, pinned: oci.digest, now: now.digest };
  }

  async close(): Promise<void> {
    await this.ready?.catch(() => undefined);
    await this.runner?.close();
    if (this.work) await rm(this.work, { recursive: true, force: true });
  }
}

function isHelmRelease(r: RenderedObject): boolean {
  return r.object.kind === 'HelmRelease' && r.object.apiVersion.startsWith('helm.toolkit.fluxcd.io/');
}

function releaseKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
}

/** What rendering depends on: the release's chart, values and names, and its source's URL and ref. */
function fingerprint(release: KubeObject | undefined, objects: KubeObject[]): string {
  if (!release) return '';
  const spec = (release.spec ?? {}) as Record<string, unknown>;
  return JSON.stringify({
    input: releaseInput(release),
    chart: spec.chart,
    chartRef: spec.chartRef,
    valuesFrom: spec.valuesFrom,
    source: chartSourceOf(release, objects),
  });
}

function imagesOf(changes: FluxObjectChange[]): { from?: string; to?: string }[] {
  const seen = new Set<string>();
  const out: { from?: string; to?: string }[] = [];
  for (const i of changes.flatMap((c) => c.images ?? [])) {
    const k = `${i.from ?? ''}→${i.to ?? ''}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(i);
  }
  return out;
}
