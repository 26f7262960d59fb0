import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { entryKind, readRegularFileSync, shownPath, walkTree } from './regular-files.js';
import { childPath, parseYamlDocuments, type YamlDocument } from './yaml-file.js';

/*
 * Every path-valued field of a kustomization (kustomize's api/types/kustomization.go: resources,
 * components, bases, patches, patchesStrategicMerge, patchesJson6902, replacements, crds, openapi,
 * configurations, the generators' files/envs/env) must name a file or folder inside gitops/. kustomize
 * fetches a remote one (an http(s) URL, a git repository in any of its spellings, file://) while it builds,
 * that is while the plan runs on a pull request's say, and Flux fetches it again after the review; a path
 * outside gitops/ reads what the tree never showed. Helm charts and plugins execute code during the build.
 */

const KUSTOMIZATION_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

const LIST_FIELDS = ['resources', 'components', 'bases', 'patchesStrategicMerge', 'crds', 'configurations'] as const;
const ITEM_PATH_FIELDS = ['patches', 'patchesJson6902', 'replacements'] as const;
const GENERATORS = ['configMapGenerator', 'secretGenerator'] as const;

const EXECUTING: Record<string, string> = {
  helmCharts:
    "kustomize's Helm inflator runs helm and downloads the chart while it builds; declare a Flux HelmRelease with its HelmRepository or OCIRepository instead",
  helmChartInflationGenerator:
    "kustomize's Helm inflator runs helm and downloads the chart while it builds; declare a Flux HelmRelease with its HelmRepository or OCIRepository instead",
  helmGlobals: 'configures the Helm inflator, which runs helm and downloads charts while kustomize builds; declare a Flux HelmRelease instead',
  generators:
    'runs kustomize generator plugins (executables, containers or configured built-ins) while it builds; use resources, configMapGenerator or patches instead',
  transformers:
    'runs kustomize transformer plugins (executables, containers or configured built-ins) while it builds; use patches, labels, images or replacements instead',
  validators: 'runs kustomize validator plugins (executables or containers) while it builds; remove it',
};

/** Why `ref` is fetched rather than read from the tree, or undefined for a local path. */
export function remoteReason(ref: string, baseDir: string): string | undefined {
  const r = ref.trim();
  if (/^file:/i.test(r)) return 'a file:// URL (kustomize clones it as a git repository)';
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(r)) return 'a go-getter URL (git::…)';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(r)) return 'a URL';
  if (/^(gh|github):/i.test(r)) return 'a GitHub shorthand';
  if (/^[^@/\s]+@[^:/\s]+:/.test(r)) return 'a git SSH address';
  if (/[?&](ref|version|submodules|timeout)=/.test(r)) return 'a git repository reference (?ref=)';
  // `github.com/org/repo/path`: kustomize takes a leading host name as a repository to clone.
  const first = r.split('/')[0] ?? '';
  if (r.includes('/') && /^([A-Za-z0-9-]+\.)+[A-Za-z]{2,}(:\d+)?$/.test(first)) {
    if (entryKind(path.resolve(baseDir, first)) === undefined) return `a repository address (host ${first})`;
  }
  return undefined;
}

function lineOf(doc: YamlDocument, fieldPath: string): number {
  let p = fieldPath;
  for (;;) {
    const line = doc.lines.get(p);
    if (line !== undefined) return line;
    if (!p) return doc.line;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The path-valued fields of one kustomization document, with their field paths. */
function pathFields(k: Record<string, unknown>): { ref: string; at: string }[] {
  const out: { ref: string; at: string }[] = [];
  const add = (v: unknown, at: string) => {
    if (typeof v === 'string') out.push({ ref: v, at });
  };
  for (const key of LIST_FIELDS) {
    const list = k[key];
    if (!Array.isArray(list)) continue;
    list.forEach((v, i) => {
      // patchesStrategicMerge also takes a patch written inline.
      if (key === 'patchesStrategicMerge' && typeof v === 'string' && v.includes('\n')) return;
      add(v, childPath(key, i));
    });
  }
  for (const key of ITEM_PATH_FIELDS) {
    const list = k[key];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => add(rec(item)?.path, childPath(childPath(key, i), 'path')));
  }
  add(rec(k.openapi)?.path, 'openapi.path');
  for (const key of GENERATORS) {
    const list = k[key];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      const g = rec(item);
      const at = childPath(key, i);
      // `files` entries are `path` or `key=path`.
      (Array.isArray(g?.files) ? g.files : []).forEach((f, j) => {
        if (typeof f === 'string') add(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f, childPath(childPath(at, 'files'), j));
      });
      (Array.isArray(g?.envs) ? g.envs : []).forEach((f, j) => add(f, childPath(childPath(at, 'envs'), j)));
      add(g?.env, childPath(at, 'env'));
    });
  }
  return out;
}

function checkDocument(root: string, abs: string, file: string, doc: YamlDocument): ConfigurationError[] {
  const k = rec(doc.value);
  if (!k) return [];
  const dir = path.dirname(abs);
  const errors: ConfigurationError[] = [];
  const err = (at: string, message: string) =>
    errors.push(new ConfigurationError(message, { file, line: lineOf(doc, at), path: at }));
  for (const [key, why] of Object.entries(EXECUTING)) {
    if (k[key] !== undefined && k[key] !== null) err(key, `${key} is not allowed: ${why}`);
  }
  for (const { ref, at } of pathFields(k)) {
    const remote = remoteReason(ref, dir);
    if (remote) {
      err(
        at,
        `"${ref}" is ${remote}: kustomize would fetch it while the plan builds and Flux again after the review, so what runs is not what was reviewed. Copy what you need into gitops/ and refer to it by a relative path`,
      );
      continue;
    }
    if (path.isAbsolute(ref)) {
      err(at, `"${ref}" is an absolute path: refer to files inside gitops/ by a path relative to ${file}`);
      continue;
    }
    const target = path.resolve(dir, ref);
    const rel = path.relative(root, target);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      err(
        at,
        `"${ref}" resolves to ${path.relative(path.dirname(root), target).split(path.sep).join('/') || '.'}, outside gitops/: kustomizations may only use files inside gitops/ (the tree that is planned and reviewed)`,
      );
    }
  }
  return errors;
}

/** Every kustomization file under gitops/: remote or out-of-tree paths, Helm charts and plugins are errors. */
export function validateKustomizations(gitopsDir: string): ConfigurationError[] {
  const root = path.resolve(gitopsDir);
  const errors: ConfigurationError[] = [];
  walkTree(root, (abs, kind) => {
    if (kind !== 'file' || !KUSTOMIZATION_NAMES.has(path.basename(abs))) return;
    const file = shownPath(root, abs);
    let docs: YamlDocument[];
    try {
      docs = parseYamlDocuments(readRegularFileSync(abs, file), file);
    } catch (err) {
      if (err instanceof ConfigurationError) errors.push(err);
      return;
    }
    for (const doc of docs) errors.push(...checkDocument(root, abs, file, doc));
  });
  return errors;
}
