import { renderRegion, type KubeObject, type RenderedObject } from '../gitops/render-flux.js';
import type { FluxFieldChange, FluxObjectChange } from './plan-types.js';

export interface FluxDiffOptions {
  /** gitops directory of the base revision (may lack the region: a new region, everything is added). */
  baseDir: string;
  /** gitops directory of the head revision. */
  headDir: string;
  region: string;
  /** Cluster variables before / after (undefined value = known after apply). */
  baseVars: Record<string, string | undefined>;
  headVars: Record<string, string | undefined>;
}

/** Longest value shown for a field before it is cut (the JSON report keeps the same cut text). */
export const MAX_VALUE_CHARS = 200;

/** Renders the region's Flux objects at base and head and diffs them object by object. */
export async function diffFlux(opts: FluxDiffOptions): Promise<FluxObjectChange[]> {
  return (await diffFluxWithHead(opts)).changes;
}

/** `diffFlux`, also returning the rendered head objects (where a changed object's sources are found). */
export async function diffFluxWithHead(
  opts: FluxDiffOptions,
): Promise<{ changes: FluxObjectChange[]; head: RenderedObject[] }> {
  const [base, head] = await Promise.all([
    renderRegion(opts.baseDir, opts.region, opts.baseVars),
    renderRegion(opts.headDir, opts.region, opts.headVars),
  ]);
  return { changes: diffRendered(opts.region, base, head), head };
}

/** Diffs two rendered object sets (pure; `diffFlux` without the rendering). */
export function diffRendered(
  region: string,
  base: RenderedObject[],
  head: RenderedObject[],
): FluxObjectChange[] {
  const before = indexByKey(base);
  const after = indexByKey(head);
  const out: FluxObjectChange[] = [];
  for (const [key, h] of after) {
    const b = before.get(key);
    if (!b) {
      out.push({
        ...identity(region, h),
        action: 'added',
        fields: notableFields(h.object),
        chart: chartChange(undefined, h.object),
        images: imageChanges(undefined, h.object),
      });
      continue;
    }
    const fields = diffFields(redact(b.object), redact(h.object));
    const ownerChanged = b.kustomization !== h.kustomization;
    if (ownerChanged)
      fields.unshift({ path: '(kustomization)', before: b.kustomization, after: h.kustomization });
    if (fields.length === 0) continue;
    out.push({
      ...identity(region, h),
      action: 'changed',
      fields,
      chart: chartChange(b.object, h.object),
      images: imageChanges(b.object, h.object),
    });
  }
  for (const [key, b] of before) {
    if (after.has(key)) continue;
    out.push({
      ...identity(region, b),
      action: 'removed',
      prunes: b.prune,
      fields: [],
      chart: chartChange(b.object, undefined),
      images: imageChanges(b.object, undefined),
    });
  }
  for (const c of out) {
    if (!c.chart) delete c.chart;
    if (!c.images || c.images.length === 0) delete c.images;
  }
  return out.sort(compareChanges);
}

/** An added object's full content is not listed; only fields a reviewer must see (an object added suspended). */
function notableFields(o: KubeObject): FluxFieldChange[] {
  const spec = o.spec as { suspend?: unknown } | undefined;
  return spec?.suspend === true ? [{ path: 'spec.suspend', after: 'true' }] : [];
}

/** `group/Kind/namespace/name` (the version is not part of an object's identity). */
export function objectKey(o: KubeObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function indexByKey(objects: RenderedObject[]): Map<string, RenderedObject> {
  const m = new Map<string, RenderedObject>();
  for (const o of objects) m.set(objectKey(o.object), o);
  return m;
}

function identity(region: string, r: RenderedObject): Omit<FluxObjectChange, 'action' | 'fields'> {
  const o = r.object;
  const id: Omit<FluxObjectChange, 'action' | 'fields'> = {
    region,
    kustomization: r.kustomization,
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
  };
  if (o.metadata.namespace) id.namespace = o.metadata.namespace;
  return id;
}

const KIND_ORDER = ['Namespace', 'CustomResourceDefinition'];

function compareChanges(a: FluxObjectChange, b: FluxObjectChange): number {
  return (
    a.kustomization.localeCompare(b.kustomization) ||
    rank(a.kind) - rank(b.kind) ||
    a.kind.localeCompare(b.kind) ||
    (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
    a.name.localeCompare(b.name)
  );
}

function rank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

/** Secret data never reaches a plan; only whether it changed. */
function redact(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return o;
  const copy: KubeObject = { ...o };
  for (const field of ['data', 'stringData']) {
    const d = o[field];
    if (d && typeof d === 'object') {
      copy[field] = Object.fromEntries(
        Object.entries(d as Record<string, unknown>).map(([k, v]) => [
          k,
          `(sensitive, ${hashish(String(v))})`,
        ]),
      );
    }
  }
  return copy;
}

function hashish(s: string): string {
  // A short, non-reversible fingerprint so a change is visible without the value.
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0').slice(0, 6);
}

/** Field-level differences as dotted paths; lists of named items are keyed by name (`containers[name=app]`). */
export function diffFields(before: unknown, after: unknown): FluxFieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: FluxFieldChange[] = [];
  const keys = new Set([...a.keys(), ...b.keys()]);
  for (const k of [...keys].sort(comparePaths)) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === y) continue;
    const change: FluxFieldChange = { path: k };
    if (x !== undefined) change.before = truncateValue(x);
    if (y !== undefined) change.after = truncateValue(y);
    out.push(change);
  }
  return out;
}

function comparePaths(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, '[]');
    const named =
      value.every((v) => isNamed(v)) &&
      new Set(value.map((v) => (v as { name: string }).name)).size === value.length;
    value.forEach((v, i) => {
      const seg = named ? `[name=${(v as { name: string }).name}]` : `[${i}]`;
      flatten(v, `${prefix}${seg}`, out);
    });
    return out;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, '{}');
    for (const [k, v] of entries) {
      const seg = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k);
      flatten(v, prefix ? (seg.startsWith('"') ? `${prefix}[${seg}]` : `${prefix}.${seg}`) : seg, out);
    }
    return out;
  }
  out.set(
    prefix,
    value === null || value === undefined
      ? 'null'
      : typeof value === 'string'
        ? value
        : JSON.stringify(value),
  );
  return out;
}

function isNamed(v: unknown): boolean {
  return (
    !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { name?: unknown }).name === 'string'
  );
}

/** Cuts a long value in the middle so both ends stay readable, saying how much was left out. */
export function truncateValue(v: string, max = MAX_VALUE_CHARS): string {
  if (v.length <= max) return v;
  const keep = max - 30;
  const head = Math.ceil(keep * 0.7);
  const tail = keep - head;
  return `${v.slice(0, head)} …(${v.length - keep} chars)… ${v.slice(v.length - tail)}`;
}

function chartOf(o: KubeObject | undefined): { name: string; version?: string } | undefined {
  if (!o || o.kind !== 'HelmRelease') return undefined;
  const spec = (o.spec ?? {}) as {
    chart?: { spec?: { chart?: unknown; version?: unknown } };
    chartRef?: { kind?: unknown; name?: unknown };
  };
  const c = spec.chart?.spec;
  if (c && typeof c.chart === 'string') {
    return { name: c.chart, version: c.version === undefined ? undefined : String(c.version) };
  }
  if (spec.chartRef && typeof spec.chartRef.name === 'string') {
    // The version lives on the referenced OCIRepository/HelmChart, which is diffed as its own object.
    return { name: `${String(spec.chartRef.kind ?? 'chartRef')}/${spec.chartRef.name}` };
  }
  return undefined;
}

function chartChange(b: KubeObject | undefined, h: KubeObject | undefined): FluxObjectChange['chart'] {
  const x = chartOf(b);
  const y = chartOf(h);
  if (!x && !y) return undefined;
  if (x && y && x.name === y.name && x.version === y.version) return undefined;
  const c: NonNullable<FluxObjectChange['chart']> = { name: (y ?? x)!.name };
  if (x?.version !== undefined) c.from = x.version;
  if (y?.version !== undefined) c.to = y.version;
  return c;
}

/** Container images by container (pod templates anywhere in the object), plus `image.repository/tag` in Helm values. */
function imagesOf(o: KubeObject | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!o) return m;
  const walk = (v: unknown, where: string): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${where}[${i}]`));
      return;
    }
    if (!v || typeof v !== 'object') return;
    const rec = v as Record<string, unknown>;
    for (const listKey of ['containers', 'initContainers']) {
      const list = rec[listKey];
      if (Array.isArray(list)) {
        for (const c of list) {
          const cc = c as { name?: unknown; image?: unknown };
          if (cc && typeof cc.image === 'string')
            m.set(`${where}.${listKey}/${String(cc.name ?? '?')}`, cc.image);
        }
      }
    }
    const img = rec.image;
    if (img && typeof img === 'object' && !Array.isArray(img)) {
      const i = img as { repository?: unknown; tag?: unknown; registry?: unknown };
      if (typeof i.tag === 'string' || typeof i.repository === 'string') {
        const repo = [i.registry, i.repository].filter((s) => typeof s === 'string').join('/');
        m.set(
          `${where}.image`,
          `${repo || '(chart default)'}:${i.tag === undefined ? '(chart default)' : String(i.tag)}`,
        );
      }
    }
    for (const [k, x] of Object.entries(rec)) {
      if (k === 'containers' || k === 'initContainers') continue;
      walk(x, `${where}.${k}`);
    }
  };
  walk(o, '');
  return m;
}

function imageChanges(
  b: KubeObject | undefined,
  h: KubeObject | undefined,
): { from?: string; to?: string }[] {
  const x = imagesOf(b);
  const y = imagesOf(h);
  const out: { from?: string; to?: string }[] = [];
  for (const k of new Set([...x.keys(), ...y.keys()])) {
    const from = x.get(k);
    const to = y.get(k);
    if (from === to) continue;
    const c: { from?: string; to?: string } = {};
    if (from !== undefined) c.from = from;
    if (to !== undefined) c.to = to;
    out.push(c);
  }
  return out;
}
