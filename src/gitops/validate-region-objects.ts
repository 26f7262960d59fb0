import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import type { ConfigLines } from './config-lines.js';
import { FluxFileCache, KUSTOMIZATION_FILES, readFluxTree, yamlFilesUnder, type FluxFile, type FluxTree } from './flux-files.js';
import { substituteObject, unknownMarker } from './flux-substitute.js';
import type { GitopsConfig, RegionConfig } from './types.js';
import { typedClusterVars, type TypedClusterVars } from './validate-var-types.js';
import type { YamlDocument } from './yaml-file.js';

type Obj = Record<string, unknown>;

/** One object of gitops/ as Flux applies it in a region: after substitution, with where it was written. */
export interface LocatedObject {
  region: string;
  /** The Flux Kustomization that applies it. */
  kustomization: string;
  file: FluxFile;
  doc: YamlDocument;
  /** As written. */
  raw: Obj;
  /** After `postBuild` substitution with the region's (typed) cluster variables. */
  object: Obj;
}

/** What one region applies, and the Flux Kustomizations that apply it. */
export interface RegionObjects {
  region: RegionConfig;
  vars: TypedClusterVars;
  tree: FluxTree;
  objects: LocatedObject[];
  /** Flux Kustomization objects of the sync folder, by name (after substitution: none there). */
  kustomizations: Map<string, LocatedObject>;
}

/** What every validator of the rendered objects reads: built once per validation run. */
export interface RenderedGitops {
  config: GitopsConfig;
  lines: ConfigLines;
  regions: RegionObjects[];
  /**
   * Objects in the Flux folders that no region syncs today (e.g. apps/provisioners without a licence),
   * substituted with the hub's variables: still checked against their schemas, so a folder switched
   * on later is not a surprise.
   */
  unsynced: LocatedObject[];
  errors: ConfigurationError[];
}

export function rec(value: unknown): Obj | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The line of a field (or of its nearest parent written in the file). */
export function lineOf(doc: YamlDocument, fieldPath: string): number {
  let p = fieldPath;
  for (;;) {
    const line = doc.lines.get(p);
    if (line !== undefined) return line;
    if (!p) return doc.line;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
}

/** A ConfigurationError at a field of an object under gitops/. */
export function objectError(o: LocatedObject, fieldPath: string, message: string): ConfigurationError {
  return new ConfigurationError(message, { file: o.file.file, line: lineOf(o.doc, fieldPath), path: fieldPath || undefined });
}

/** `Kind namespace/name` for messages. */
export function describeObject(o: Obj): string {
  const meta = rec(o.metadata);
  const ns = typeof meta?.namespace === 'string' ? `${meta.namespace}/` : '';
  return `${String(o.kind)} ${ns}${String(meta?.name ?? '?')}`;
}

/** Files a kustomization.yaml applies as patches: partial objects, not resources. */
function patchFiles(cache: FluxFileCache): Set<string> {
  const out = new Set<string>();
  for (const f of cache.all()) {
    if (!KUSTOMIZATION_FILES.includes(path.basename(f.abs))) continue;
    const spec = rec(f.docs[0]?.value) ?? {};
    const refs = [...list(spec.patchesStrategicMerge), ...list(spec.patches).map((p) => rec(p)?.path)];
    for (const ref of refs) if (typeof ref === 'string') out.add(path.resolve(path.dirname(f.abs), ref));
  }
  return out;
}

/** Reads every region's Flux objects and substitutes them as Flux would, unknown values by typed placeholders. */
export function renderGitops(config: GitopsConfig, lines: ConfigLines): RenderedGitops {
  const cache = new FluxFileCache(config.dir);
  const out: RenderedGitops = { config, lines, regions: [], unsynced: [], errors: [] };
  for (const region of config.regions) {
    const vars = typedClusterVars(config, region, lines);
    out.errors.push(...vars.errors);
    const tree = readFluxTree(config.dir, region.name, cache);
    const patches = patchFiles(cache);
    const ro: RegionObjects = { region, vars, tree, objects: [], kustomizations: new Map() };
    for (const k of tree.kustomizations) {
      const inline = inlineSubstitutes(cache, k.file, k.name);
      const values: Record<string, string | undefined> = k.clusterVars ? { ...vars.values, ...inline } : { ...inline };
      for (const abs of k.files) {
        if (patches.has(abs)) continue;
        const f = cache.get(abs);
        if (f.error) continue; // reported by validateFlux
        for (const doc of f.docs) {
          const raw = rec(doc.value);
          if (!raw) continue;
          const object = k.substituted ? (rec(substituteObject(raw, values)) ?? raw) : raw;
          ro.objects.push({ region: region.name, kustomization: k.name, file: f, doc, raw, object });
        }
      }
    }
    for (const o of ro.objects) {
      if (o.object.kind === 'Kustomization' && String(o.object.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/')) {
        const name = rec(o.object.metadata)?.name;
        if (typeof name === 'string' && !ro.kustomizations.has(name)) ro.kustomizations.set(name, o);
      }
    }
    out.regions.push(ro);
  }
  out.unsynced = unsyncedObjects(config, cache, out.regions);
  return out;
}

const FLUX_FOLDERS = ['clusters', 'infrastructure', 'apps'];

function unsyncedObjects(config: GitopsConfig, cache: FluxFileCache, regions: RegionObjects[]): LocatedObject[] {
  const synced = new Set(regions.flatMap((r) => r.objects.map((o) => o.file.abs)));
  const hub = regions.find((r) => r.region.name === config.platform.hubRegion) ?? regions[0];
  const out: LocatedObject[] = [];
  const files: string[] = [];
  for (const folder of FLUX_FOLDERS) {
    const dir = path.join(config.dir, folder);
    if (existsSync(dir)) files.push(...yamlFilesUnder(dir));
  }
  const patches = patchFiles(cache);
  for (const abs of files) {
    if (synced.has(abs) || patches.has(abs) || KUSTOMIZATION_FILES.includes(path.basename(abs))) continue;
    const f = cache.get(abs);
    if (f.error) continue;
    for (const doc of f.docs) {
      const raw = rec(doc.value);
      if (!raw) continue;
      const object = hub ? (rec(substituteObject(raw, hub.vars.values)) ?? raw) : raw;
      out.push({ region: hub?.region.name ?? '', kustomization: '(synced by no region)', file: f, doc, raw, object });
    }
  }
  return out;
}

function inlineSubstitutes(cache: FluxFileCache, file: string, name: string): Record<string, string> {
  for (const f of cache.all()) {
    if (f.file !== file) continue;
    for (const doc of f.docs) {
      const o = rec(doc.value);
      if (o?.kind !== 'Kustomization' || rec(o.metadata)?.name !== name) continue;
      const sub = rec(rec(rec(o.spec)?.postBuild)?.substitute) ?? {};
      return Object.fromEntries(Object.entries(sub).map(([k, v]) => [k, String(v)]));
    }
  }
  return {};
}

/** Whether a substituted value still holds a variable without a source (reported by validateFlux, not again). */
export function hasUnresolved(value: unknown): boolean {
  return typeof value === 'string' && value.includes(unknownMarker('').slice(0, -1));
}

/** The value at a field path (`spec.a[0].b`) of an object. */
export function valueAt(root: unknown, fieldPath: string): unknown {
  let cur: unknown = root;
  for (const m of fieldPath.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    const key = m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? (JSON.parse(`"${m[3]}"`) as string) : '');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
