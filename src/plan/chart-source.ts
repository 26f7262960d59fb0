import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from 'js-yaml';
import type { AllowedFetcher } from '../fetch/allowed-fetch.js';
import type { KubeObject } from '../gitops/render-flux.js';
import { HelmError, type HelmRunner } from '../helm/run-helm.js';
import { errorMessage } from '../util/errors.js';

/*
 * Where a HelmRelease's chart comes from, read the way Flux reads it (helm-controller and
 * source-controller v1 APIs): `spec.chart.spec` with a `sourceRef` to a HelmRepository (an HTTP index, or
 * `type: oci` for a registry), or `spec.chartRef` to an OCIRepository (`ref.digest` wins over
 * `ref.semver`, which wins over `ref.tag`). Charts are fetched only through main's allow-list: HTTP
 * repositories through the AllowedFetcher itself, OCI registries through helm after the same check.
 */

export type ChartSource =
  | {
      kind: 'HelmRepository';
      /** `namespace/name` of the source object. */
      id: string;
      url: string;
      oci: boolean;
      insecure: boolean;
      chart: string;
      version?: string;
    }
  | {
      kind: 'OCIRepository';
      id: string;
      url: string;
      insecure: boolean;
      tag?: string;
      semver?: string;
      digest?: string;
    };

/** A fetched chart, or why there is none; `problem` says whether the plan was refused or could not reach it. */
export type FetchedChart =
  | { ok: true; file: string; version: string; digest?: string; source: ChartSource }
  | {
      ok: false;
      problem: 'not-allowed' | 'unreachable' | 'unresolved';
      message: string;
      source?: ChartSource;
    };

const SEMVER_RANGE = /[\^~<>=*|xX ]|\|\|/;

/** The chart source of `release` among the region's rendered Flux objects, or why it has none. */
export function chartSourceOf(
  release: KubeObject,
  objects: readonly KubeObject[],
): ChartSource | { error: string } {
  const spec = (release.spec ?? {}) as Record<string, unknown>;
  const ns = release.metadata.namespace ?? 'default';
  const find = (kind: string, name: unknown, namespace: unknown) =>
    objects.find(
      (o) =>
        o.kind === kind &&
        o.apiVersion.startsWith('source.toolkit.fluxcd.io/') &&
        o.metadata.name === name &&
        (o.metadata.namespace ?? 'default') === (typeof namespace === 'string' ? namespace : ns),
    );
  const chartRef = spec.chartRef as { kind?: unknown; name?: unknown; namespace?: unknown } | undefined;
  if (chartRef) {
    if (chartRef.kind !== 'OCIRepository')
      return {
        error: `chartRef kind ${String(chartRef.kind)} is not rendered by the plan (OCIRepository is)`,
      };
    const src = find('OCIRepository', chartRef.name, chartRef.namespace);
    if (!src)
      return { error: `OCIRepository ${String(chartRef.name)} is not among the region's Flux objects` };
    const s = (src.spec ?? {}) as { url?: unknown; insecure?: unknown; ref?: Record<string, unknown> };
    const ref = s.ref ?? {};
    const out: ChartSource = {
      kind: 'OCIRepository',
      id: `${src.metadata.namespace ?? ns}/${src.metadata.name}`,
      url: String(s.url ?? ''),
      insecure: s.insecure === true,
    };
    if (typeof ref.tag === 'string') out.tag = ref.tag;
    if (typeof ref.semver === 'string') out.semver = ref.semver;
    if (typeof ref.digest === 'string') out.digest = ref.digest;
    return out;
  }
  const chart = (spec.chart as { spec?: Record<string, unknown> } | undefined)?.spec;
  if (!chart || typeof chart.chart !== 'string')
    return { error: 'neither spec.chart.spec.chart nor spec.chartRef' };
  const ref = (chart.sourceRef ?? {}) as { kind?: unknown; name?: unknown; namespace?: unknown };
  if (ref.kind !== 'HelmRepository')
    return { error: `sourceRef kind ${String(ref.kind)} is not rendered by the plan (HelmRepository is)` };
  const src = find('HelmRepository', ref.name, ref.namespace);
  if (!src) return { error: `HelmRepository ${String(ref.name)} is not among the region's Flux objects` };
  const s = (src.spec ?? {}) as { url?: unknown; type?: unknown; insecure?: unknown };
  const out: ChartSource = {
    kind: 'HelmRepository',
    id: `${src.metadata.namespace ?? ns}/${src.metadata.name}`,
    url: String(s.url ?? ''),
    oci: s.type === 'oci',
    insecure: s.insecure === true,
    chart: chart.chart,
  };
  if (chart.version !== undefined) out.version = String(chart.version);
  return out;
}

/** Names a source in messages: `HelmRepository coder/coder-v2 (https://helm.coder.com/v2)`. */
export function describeSource(s: ChartSource): string {
  return `${s.kind} ${s.id} (${s.url})`;
}

/** Fetches charts into `dir`, once per chart version (base and head share downloads). */
export class ChartFetcher {
  private readonly cache = new Map<string, Promise<FetchedChart>>();
  private readonly indexes = new Map<string, Promise<unknown>>();
  private n = 0;

  constructor(
    private readonly fetcher: AllowedFetcher,
    private readonly helm: HelmRunner,
    private readonly dir: string,
  ) {}

  fetch(source: ChartSource): Promise<FetchedChart> {
    const key = JSON.stringify(source);
    let p = this.cache.get(key);
    if (!p) {
      p = this.fetchOnce(source).catch((err: unknown): FetchedChart => ({
        ok: false,
        problem: 'unreachable',
        message: errorMessage(err),
        source,
      }));
      this.cache.set(key, p);
    }
    return p;
  }

  /** The digest an OCI tag resolves to now (for "the tag moved"), or the problem. */
  async resolveTag(
    source: ChartSource & { kind: 'OCIRepository' },
    tag: string,
  ): Promise<{ digest?: string; problem?: string }> {
    if (!this.fetcher.admit(source.url, `resolve tag ${tag} of ${source.id}`))
      return { problem: `${source.url} is not allow-listed` };
    try {
      const { stdout, stderr } = await this.helm.run([
        'show',
        'chart',
        source.url,
        '--version',
        tag,
        ...this.ociFlags(source),
      ]);
      const digest = digestIn(`${stdout}\n${stderr}`);
      return digest ? { digest } : { problem: 'helm printed no digest' };
    } catch (err) {
      return { problem: errorMessage(err) };
    }
  }

  private async fetchOnce(source: ChartSource): Promise<FetchedChart> {
    if (source.kind === 'OCIRepository') {
      if (source.digest && !/^sha256:[0-9a-f]{64}$/.test(source.digest))
        return {
          ok: false,
          problem: 'unresolved',
          message: `${source.id} ref.digest '${source.digest}' is not sha256:<64 hex>`,
          source,
        };
      const ref = source.digest ? `${source.url}@${source.digest}` : source.url;
      const version = source.digest ? undefined : (source.semver ?? source.tag);
      if (!source.digest && !version)
        return {
          ok: false,
          problem: 'unresolved',
          message: `${source.id} has no ref (digest, semver or tag)`,
          source,
        };
      return this.pullOci(source, ref, version);
    }
    if (source.oci) {
      // The chart name becomes part of the registry path: a name like `../other` would leave the listed prefix.
      if (!/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(source.chart))
        return {
          ok: false,
          problem: 'unresolved',
          message: `chart name '${source.chart}' is not a registry repository name`,
          source,
        };
      return this.pullOci(source, `${source.url.replace(/\/+$/, '')}/${source.chart}`, source.version);
    }
    return this.fetchFromIndex(source);
  }

  private ociFlags(source: ChartSource): string[] {
    // Flux's `insecure: true` is a registry over plain HTTP; helm says so with --plain-http.
    return source.insecure ? ['--plain-http'] : [];
  }

  private async pullOci(
    source: ChartSource,
    ref: string,
    version: string | undefined,
  ): Promise<FetchedChart> {
    // The whole reference (the chart's repository under the source) must be under an allowed prefix.
    if (!this.fetcher.admit(ref.split('@')[0]!, `chart from ${source.id}`)) {
      return {
        ok: false,
        problem: 'not-allowed',
        message: `${source.url} is not under any allowedSources entry of main's platform.yaml: not fetched`,
        source,
      };
    }
    const out = path.join(this.dir, `oci-${++this.n}`);
    await mkdir(out, { recursive: true });
    try {
      const { stdout, stderr } = await this.helm.run([
        'pull',
        ref,
        ...(version ? ['--version', version] : []),
        ...this.ociFlags(source),
        '--destination',
        out,
      ]);
      const files = (await readdir(out)).filter((f) => f.endsWith('.tgz'));
      if (files.length !== 1) throw new Error(`helm pull left ${files.length} charts`);
      const file = path.join(out, files[0]!);
      const digest = digestIn(`${stdout}\n${stderr}`);
      const v = /-(\d[^/]*)\.tgz$/.exec(files[0]!)?.[1] ?? version ?? '?';
      return { ok: true, file, version: v, ...(digest ? { digest } : {}), source };
    } catch (err) {
      const message =
        err instanceof HelmError ? err.message.replace(/^helm pull failed: /, '') : errorMessage(err);
      return { ok: false, problem: 'unreachable', message: `${ref}: ${message}`, source };
    }
  }

  private index(url: string, id: string): Promise<unknown> {
    let p = this.indexes.get(url);
    if (!p) {
      p = (async () => {
        const got = await this.fetcher.get(`${url.replace(/\/+$/, '')}/index.yaml`, `chart index of ${id}`);
        if (got.outcome !== 'fetched') return got;
        return { outcome: 'fetched', index: load(got.body.toString('utf8')) };
      })();
      this.indexes.set(url, p);
    }
    return p;
  }

  private async fetchFromIndex(source: ChartSource & { kind: 'HelmRepository' }): Promise<FetchedChart> {
    const got = (await this.index(source.url, source.id)) as
      { outcome: 'fetched'; index: unknown } | { outcome: 'not-allowed' | 'failed'; reason: string };
    if (got.outcome !== 'fetched')
      return got.outcome === 'not-allowed'
        ? { ok: false, problem: 'not-allowed', message: got.reason, source }
        : { ok: false, problem: 'unreachable', message: `${source.url}/index.yaml: ${got.reason}`, source };
    const entries = ((got.index ?? {}) as { entries?: Record<string, unknown> }).entries?.[source.chart];
    if (!Array.isArray(entries) || entries.length === 0)
      return {
        ok: false,
        problem: 'unresolved',
        message: `chart ${source.chart} is not in ${source.url}/index.yaml`,
        source,
      };
    if (source.version && SEMVER_RANGE.test(source.version))
      return {
        ok: false,
        problem: 'unresolved',
        message: `version '${source.version}' is a range: the plan renders exact versions only (pin the version)`,
        source,
      };
    const wanted = source.version?.replace(/^v/, '');
    const entry = (entries as { version?: unknown; urls?: unknown; digest?: unknown }[]).find(
      (e) => String(e.version ?? '').replace(/^v/, '') === wanted,
    );
    if (!entry || !Array.isArray(entry.urls) || typeof entry.urls[0] !== 'string')
      return {
        ok: false,
        problem: 'unresolved',
        message: `${source.chart} ${source.version ?? '(no version)'} is not in ${source.url}/index.yaml`,
        source,
      };
    const tgzUrl = new URL(entry.urls[0], `${source.url.replace(/\/+$/, '')}/`).toString();
    const tgz = await this.fetcher.get(tgzUrl, `chart ${source.chart} ${String(entry.version)}`);
    if (tgz.outcome === 'not-allowed')
      return { ok: false, problem: 'not-allowed', message: tgz.reason, source };
    if (tgz.outcome === 'failed')
      return { ok: false, problem: 'unreachable', message: `${tgzUrl}: ${tgz.reason}`, source };
    const digest = createHash('sha256').update(tgz.body).digest('hex');
    // The index carries the archive's sha256 (helm repo index writes it): a mismatch is not the chart reviewed.
    if (typeof entry.digest === 'string' && entry.digest && entry.digest !== digest)
      return {
        ok: false,
        problem: 'unresolved',
        message: `${tgzUrl} has sha256 ${digest}, not the ${entry.digest} its index.yaml lists`,
        source,
      };
    const file = path.join(this.dir, `${++this.n}-${source.chart}-${String(entry.version)}.tgz`);
    await writeFile(file, tgz.body);
    return { ok: true, file, version: String(entry.version), digest: `sha256:${digest}`, source };
  }
}

function digestIn(text: string): string | undefined {
  return /^Digest:\s*(sha256:[0-9a-f]{64})/m.exec(text)?.[1];
}
