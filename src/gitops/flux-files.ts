import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import { displayPath } from './load-gitops.js';
import { entryKind, readRegularFileSync } from './regular-files.js';
import { parseYamlDocuments, type YamlDocument } from './yaml-file.js';

/** The file names kustomize recognises; a folder with one is built from it instead of from every YAML file. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** A parsed YAML file under a Flux path (or its parse error). */
export interface FluxFile {
  abs: string;
  /** Relative to the repository, as shown in messages. */
  file: string;
  text: string;
  docs: YamlDocument[];
  error?: ConfigurationError;
}

/** A Flux Kustomization found in `clusters/<region>/`, with what it builds. */
export interface FluxKustomization {
  name: string;
  file: string;
  line: number;
  /** `spec.path` as written. */
  specPath: string;
  /** Whether Flux runs variable substitution on its output (any `postBuild.substitute`/`substituteFrom`). */
  substituted: boolean;
  /** Whether `postBuild.substituteFrom` reads the region's `cluster-vars` ConfigMap. */
  clusterVars: boolean;
  /** Variables given inline in `postBuild.substitute`. */
  inlineVars: string[];
  /** YAML files kustomize builds for it (absolute). */
  files: string[];
  /** Folders without a kustomization file, for which Flux generates one from every YAML file in them. */
  generatedDirs: string[];
}

/** What Flux applies for one region. */
export interface FluxTree {
  region: string;
  clusterDir: string;
  kustomizations: FluxKustomization[];
  errors: ConfigurationError[];
}

/** Reads YAML files once per validation run. */
export class FluxFileCache {
  private readonly files = new Map<string, FluxFile>();
  constructor(readonly gitopsDir: string) {}

  get(abs: string): FluxFile {
    let cached = this.files.get(abs);
    if (!cached) {
      const file = displayPath(this.gitopsDir, abs);
      let text = '';
      try {
        text = readRegularFileSync(abs, file);
        cached = { abs, file, text, docs: parseYamlDocuments(text, file) };
      } catch (err) {
        const error = err instanceof ConfigurationError ? err : new ConfigurationError(errorMessage(err), { file });
        cached = { abs, file, text, docs: [], error };
      }
      this.files.set(abs, cached);
    }
    return cached;
  }

  /** Every file read so far. */
  all(): FluxFile[] {
    return [...this.files.values()];
  }
}

function isYaml(name: string): boolean {
  return name.endsWith('.yaml') || name.endsWith('.yml');
}

function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => path.join(dir, f)).find((f) => entryKind(f) === 'file');
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

interface Walk {
  cache: FluxFileCache;
  files: Set<string>;
  generated: Set<string>;
  errors: ConfigurationError[];
  visited: Set<string>;
}

/** Follows a kustomization file's `resources`, `components` and patch files (remote ones are skipped). */
function walkKustomization(dir: string, kfile: string, w: Walk): void {
  const k = w.cache.get(kfile);
  if (k.error) {
    w.errors.push(k.error);
    return;
  }
  const doc = k.docs[0];
  const spec = asRecord(doc?.value) ?? {};
  const refs: { ref: string; path: string }[] = [];
  for (const key of ['resources', 'components', 'patchesStrategicMerge'] as const) {
    const list = spec[key];
    if (Array.isArray(list)) {
      list.forEach((ref, i) => {
        if (typeof ref === 'string') refs.push({ ref, path: `${key}[${i}]` });
      });
    }
  }
  if (Array.isArray(spec.patches)) {
    spec.patches.forEach((p, i) => {
      const patchPath = asRecord(p)?.path;
      if (typeof patchPath === 'string') refs.push({ ref: patchPath, path: `patches[${i}].path` });
    });
  }
  for (const { ref, path: fieldPath } of refs) {
    if (/^[a-z]+:\/\//.test(ref) || ref.startsWith('github.com/')) continue;
    const abs = path.resolve(dir, ref);
    // Outside gitops/ is refused by validate-kustomizations before this runs; never read it here either.
    if (path.relative(path.resolve(w.cache.gitopsDir), abs).startsWith('..')) continue;
    const kind = entryKind(abs);
    if (kind === undefined) {
      w.errors.push(
        new ConfigurationError(`"${ref}" does not exist (kustomize would fail to build this folder)`, {
          file: k.file,
          line: doc?.lines.get(fieldPath),
          path: fieldPath,
        }),
      );
    } else if (kind === 'dir') {
      const sub = kustomizationFile(abs);
      if (sub) walkDir(abs, w);
      else {
        w.errors.push(
          new ConfigurationError(`"${ref}" is a folder without a kustomization.yaml; kustomize cannot use it as a resource`, {
            file: k.file,
            line: doc?.lines.get(fieldPath),
            path: fieldPath,
          }),
        );
      }
    } else if (kind === 'file') {
      w.files.add(abs);
    }
  }
}

/** Collects what a folder contributes to a build, as Flux's kustomization generator does. */
function walkDir(dir: string, w: Walk): void {
  if (w.visited.has(dir)) return;
  w.visited.add(dir);
  const kfile = kustomizationFile(dir);
  if (kfile) {
    walkKustomization(dir, kfile, w);
    return;
  }
  // No kustomization file: Flux generates one from every YAML file in the tree, and adds sub-folders
  // that have their own kustomization file as resources.
  w.generated.add(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) walkDir(abs, w);
    else if (entry.isFile() && isYaml(entry.name)) w.files.add(abs);
  }
}

/** Every YAML file in a folder tree, sorted. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(abs));
    else if (entry.isFile() && isYaml(entry.name)) out.push(abs);
  }
  return out;
}

/**
 * The Flux Kustomizations in `gitops/clusters/<region>/` and the files each builds (its `spec.path`,
 * relative to the repository, the gitops folder's parent).
 */
export function readFluxTree(gitopsDir: string, region: string, cache = new FluxFileCache(gitopsDir)): FluxTree {
  const root = path.resolve(gitopsDir);
  const repoRoot = path.dirname(root);
  const clusterDir = path.join(root, 'clusters', region);
  const tree: FluxTree = { region, clusterDir, kustomizations: [], errors: [] };
  if (entryKind(clusterDir) !== 'dir') {
    tree.errors.push(
      new ConfigurationError(`missing folder: Flux syncs gitops/clusters/${region}/ for region ${region}`, {
        file: displayPath(root, clusterDir),
      }),
    );
    return tree;
  }
  for (const abs of yamlFilesUnder(clusterDir)) {
    const f = cache.get(abs);
    if (f.error) continue; // reported with every Flux file
    for (const doc of f.docs) {
      const obj = asRecord(doc.value);
      const apiVersion = obj?.apiVersion;
      if (obj?.kind !== 'Kustomization' || typeof apiVersion !== 'string') continue;
      if (!apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) continue;
      const name = String(asRecord(obj.metadata)?.name ?? '?');
      const spec = asRecord(obj.spec) ?? {};
      const postBuild = asRecord(spec.postBuild);
      const substituteFrom = Array.isArray(postBuild?.substituteFrom) ? postBuild.substituteFrom : [];
      const inline = asRecord(postBuild?.substitute) ?? {};
      const k: FluxKustomization = {
        name,
        file: f.file,
        line: doc.line,
        specPath: typeof spec.path === 'string' ? spec.path : '',
        substituted: postBuild !== undefined && (substituteFrom.length > 0 || Object.keys(inline).length > 0),
        clusterVars: substituteFrom.some((s) => asRecord(s)?.kind === 'ConfigMap' && asRecord(s)?.name === 'cluster-vars'),
        inlineVars: Object.keys(inline),
        files: [],
        generatedDirs: [],
      };
      tree.kustomizations.push(k);
      const where = { file: f.file, line: doc.lines.get('spec.path') ?? doc.line, path: 'spec.path' };
      if (!k.specPath) {
        tree.errors.push(
          new ConfigurationError(`Kustomization ${name} has no spec.path; Flux would apply the whole repository`, where),
        );
        continue;
      }
      const target = path.resolve(repoRoot, k.specPath);
      if (path.relative(repoRoot, target).startsWith('..')) {
        tree.errors.push(new ConfigurationError(`spec.path "${k.specPath}" leaves the repository`, where));
        continue;
      }
      if (entryKind(target) !== 'dir') {
        tree.errors.push(
          new ConfigurationError(
            `spec.path "${k.specPath}" is not a folder of this repository (paths are relative to the repository root, e.g. ./gitops/infrastructure/controllers)`,
            where,
          ),
        );
        continue;
      }
      const w: Walk = { cache, files: new Set(), generated: new Set(), errors: tree.errors, visited: new Set() };
      walkDir(target, w);
      k.files = [...w.files];
      k.generatedDirs = [...w.generated];
      if (k.files.length === 0) {
        tree.errors.push(
          new ConfigurationError(
            `spec.path "${k.specPath}" holds no YAML files; Flux would apply nothing and, with prune, delete what it applied before`,
            where,
          ),
        );
      }
    }
  }
  return tree;
}
