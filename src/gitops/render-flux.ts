import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { ConfigurationError, errorMessage } from '../util/errors.js';
import { substituteObject } from './flux-substitute.js';

const execFileAsync = promisify(execFile);

/** A Kubernetes object as Flux would apply it for a region, with the Kustomization that owns it. */
export interface RenderedObject {
  /** Name of the Flux Kustomization that applies it (`flux-system` for the sync folder itself). */
  kustomization: string;
  /** That Kustomization's `spec.prune`: whether removing the object from Git deletes it from the cluster. */
  prune: boolean;
  object: KubeObject;
  /** Variables the object references that have no value yet (shown as `<known after apply: …>`). */
  unresolved: string[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** A Flux Kustomization read from the sync folder (or from a rendered path), reduced to what rendering needs. */
export interface FluxKustomization {
  name: string;
  namespace?: string;
  /** `spec.path` as written, e.g. `./gitops/apps/us-west-2`. */
  path: string;
  prune: boolean;
  targetNamespace?: string;
  substitute: Record<string, string>;
  substituteFromClusterVars: boolean;
  /** Whether `postBuild` is present at all (Flux substitutes only then). */
  substitutes: boolean;
  file: string;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const FLUX_KS_GROUP = 'kustomize.toolkit.fluxcd.io/';

/**
 * Renders every object Flux applies for `region`: the sync folder `clusters/<region>/` itself (as
 * the `flux-system` Kustomization) and each Kustomization found there, built with
 * `kubectl kustomize` and substituted with `vars` (undefined = known after apply).
 * Returns [] when the region has no cluster folder.
 */
export async function renderRegion(
  gitopsDir: string,
  region: string,
  vars: Record<string, string | undefined>,
): Promise<RenderedObject[]> {
  const clusterDir = path.join(gitopsDir, 'clusters', region);
  if (!(await isDirectory(clusterDir))) return [];
  const repoRoot = path.dirname(path.resolve(gitopsDir));
  const renderer = new Renderer(path.resolve(gitopsDir), repoRoot);
  try {
    const syncObjects = await renderer.build(clusterDir, `clusters/${region}`);
    const declared = new Map((await readClusterKustomizations(gitopsDir, region)).map((k) => [k.name, k.file]));
    const kustomizations = syncObjects
      .filter(isFluxKustomization)
      .map((o) => toFluxKustomization(o, path.relative(repoRoot, declared.get(o.metadata.name) ?? clusterDir)));
    const syncRel = path.relative(repoRoot, clusterDir);
    const sync = kustomizations.find((k) => samePath(k.path, syncRel));
    const out: RenderedObject[] = syncObjects.map((object) => ({
      kustomization: sync?.name ?? 'flux-system',
      prune: sync?.prune ?? true,
      object,
      unresolved: [],
    }));
    const seen = new Set<string>([path.normalize(syncRel)]);
    const queue = kustomizations.filter((k) => k !== sync);
    while (queue.length > 0) {
      const ks = queue.shift()!;
      const rel = path.normalize(ks.path.replace(/^\.\//, ''));
      if (seen.has(`${ks.name}@${rel}`)) continue;
      seen.add(`${ks.name}@${rel}`);
      const abs = path.resolve(repoRoot, rel);
      if (!abs.startsWith(repoRoot + path.sep) && abs !== repoRoot) {
        throw new ConfigurationError(`spec.path '${ks.path}' points outside the repository`, {
          file: ks.file,
          path: `Kustomization ${ks.name}.spec.path`,
        });
      }
      if (!(await isDirectory(abs))) {
        throw new ConfigurationError(
          `spec.path '${ks.path}' is not a folder in the repository (paths are relative to the repository root, e.g. ./gitops/apps/${region})`,
          { file: ks.file, path: `Kustomization ${ks.name}.spec.path` },
        );
      }
      const built = await renderer.build(abs, ks.path, ks.file);
      const from = path.relative(repoRoot, abs);
      for (const raw of built) {
        const rendered = applyKustomization(raw, ks, vars);
        out.push(rendered);
        if (isFluxKustomization(rendered.object)) queue.push(toFluxKustomization(rendered.object, from));
      }
    }
    return out;
  } finally {
    await renderer.cleanup();
  }
}

/** Reads the Flux Kustomizations declared in `clusters/<region>/` (no kustomize build), for path lookups. */
export async function readClusterKustomizations(gitopsDir: string, region: string): Promise<FluxKustomization[]> {
  const clusterDir = path.join(gitopsDir, 'clusters', region);
  if (!(await isDirectory(clusterDir))) return [];
  const out: FluxKustomization[] = [];
  for (const file of await yamlFiles(clusterDir)) {
    if (KUSTOMIZATION_FILES.includes(path.basename(file))) continue;
    let docs: unknown[];
    try {
      docs = loadAll(await readFile(file, 'utf8'));
    } catch {
      continue; // the kustomize build reports it
    }
    for (const doc of docs) {
      const o = doc as KubeObject | null;
      if (o && typeof o === 'object' && o.metadata?.name && isFluxKustomization(o)) out.push(toFluxKustomization(o, file));
    }
  }
  return out;
}

function applyKustomization(
  raw: KubeObject,
  ks: FluxKustomization,
  vars: Record<string, string | undefined>,
): RenderedObject {
  let object = raw;
  const unresolved = new Set<string>();
  const annotations = (raw.metadata.annotations ?? {}) as Record<string, unknown>;
  const disabled = annotations['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled';
  if (ks.substitutes && !disabled) {
    // Flux: inline `substitute` wins over `substituteFrom`.
    const merged: Record<string, string | undefined> = ks.substituteFromClusterVars ? { ...vars } : {};
    Object.assign(merged, ks.substitute);
    object = substituteObject(raw, merged, unresolved) as KubeObject;
  }
  if (ks.targetNamespace && object.metadata && !isClusterScoped(object.kind)) {
    object = { ...object, metadata: { ...object.metadata, namespace: ks.targetNamespace } };
  }
  return { kustomization: ks.name, prune: ks.prune, object, unresolved: [...unresolved].sort() };
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PersistentVolume',
  'PriorityClass',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'NodePool',
  'EC2NodeClass',
  'ClusterSecretStore',
]);

function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

function isFluxKustomization(o: KubeObject): boolean {
  return o.kind === 'Kustomization' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith(FLUX_KS_GROUP);
}

function toFluxKustomization(o: KubeObject, file: string): FluxKustomization {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const postBuild = spec.postBuild as
    | { substitute?: Record<string, unknown>; substituteFrom?: { kind?: string; name?: string }[] }
    | undefined;
  const substitute: Record<string, string> = {};
  for (const [k, v] of Object.entries(postBuild?.substitute ?? {})) substitute[k] = String(v);
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace,
    path: typeof spec.path === 'string' && spec.path ? spec.path : './',
    prune: spec.prune === true,
    targetNamespace: typeof spec.targetNamespace === 'string' ? spec.targetNamespace : undefined,
    substitute,
    substituteFromClusterVars: (postBuild?.substituteFrom ?? []).some(
      (s) => s?.kind === 'ConfigMap' && s?.name === 'cluster-vars',
    ),
    substitutes: postBuild !== undefined && postBuild !== null,
    file,
  };
}

function samePath(specPath: string, rel: string): boolean {
  return path.normalize(specPath.replace(/^\.\//, '')) === path.normalize(rel);
}

/** Runs `kubectl kustomize`, generating a kustomization.yaml in a temporary copy where Flux would. */
class Renderer {
  private tmp?: string;
  constructor(
    private readonly gitopsDir: string,
    private readonly repoRoot: string,
  ) {}

  async build(dir: string, label: string, file?: string): Promise<KubeObject[]> {
    let target = dir;
    if (!(await hasKustomizationFile(dir))) target = await this.generated(dir);
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync('kubectl', ['kustomize', target], { maxBuffer: 64 * 1024 * 1024 }));
    } catch (err) {
      // kubectl wraps kustomize's message in a klog line: keep the message.
      const stderr = (err as { stderr?: string }).stderr
        ?.trim()
        .replace(/^[EWI]\d{4} [\d:.]+\s+\d+ [^\]]+\] /gm, '')
        .replace(/^"command failed" err="([\s\S]*)"$/, '$1');
      throw new ConfigurationError(
        `kustomize build of '${label}' failed: ${stderr || errorMessage(err)}`.replaceAll(this.tmp ?? '\0', ''),
        { file: file ?? path.relative(this.repoRoot, dir) },
      );
    }
    return parseDocs(stdout, label);
  }

  /** Flux generates `resources:` from every YAML file (and every sub-folder that has its own kustomization). */
  private async generated(dir: string): Promise<string> {
    const inGitops = path.relative(this.gitopsDir, dir);
    if (inGitops.startsWith('..')) {
      throw new ConfigurationError(`folder without kustomization.yaml outside the gitops directory`, {
        file: path.relative(this.repoRoot, dir),
      });
    }
    if (!this.tmp) {
      this.tmp = await mkdtemp(path.join(tmpdir(), 'flux-render-'));
      // A copy keeps relative references (`../base`) working and never writes into the checkout.
      await cp(this.gitopsDir, path.join(this.tmp, 'gitops'), { recursive: true });
    }
    const copy = path.join(this.tmp, 'gitops', inGitops);
    const resources = await generatedResources(copy, copy);
    await writeFile(
      path.join(copy, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources
        .map((r) => `  - ${JSON.stringify(r)}\n`)
        .join('')}`,
    );
    return copy;
  }

  async cleanup(): Promise<void> {
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true });
  }
}

async function generatedResources(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name.startsWith('.')) continue;
      if (await hasKustomizationFile(full)) out.push(path.relative(root, full));
      else out.push(...(await generatedResources(root, full)));
    } else if (/\.ya?ml$/.test(e.name) && !KUSTOMIZATION_FILES.includes(e.name)) {
      out.push(path.relative(root, full));
    }
  }
  return out;
}

async function hasKustomizationFile(dir: string): Promise<boolean> {
  for (const f of KUSTOMIZATION_FILES) {
    try {
      if ((await stat(path.join(dir, f))).isFile()) return true;
    } catch {
      // not there
    }
  }
  return false;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

function parseDocs(text: string, label: string): KubeObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    throw new ConfigurationError(`not valid YAML: ${errorMessage(err)}`, { file: label });
  }
  const out: KubeObject[] = [];
  for (const d of docs) {
    if (d === null || d === undefined) continue;
    const o = d as Partial<KubeObject>;
    if (typeof o !== 'object' || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string' || !o.metadata?.name) {
      throw new ConfigurationError('a document that is not a Kubernetes object (apiVersion, kind, metadata.name)', {
        file: label,
      });
    }
    out.push(o as KubeObject);
  }
  return out;
}
