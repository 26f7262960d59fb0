import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { isAllowedSource } from '../fetch/allowed-fetch.js';
import { readRegularFileSync, shownPath, walkTree } from './regular-files.js';
import type { GitopsConfig } from './types.js';
import { parseYamlDocuments } from './yaml-file.js';

/** A place Flux fetches from, as declared under gitops/. */
export interface FluxSource {
  kind: string;
  name: string;
  namespace: string;
  url: string;
  file: string;
  line: number;
}

const SOURCE_KINDS = new Set(['GitRepository', 'HelmRepository', 'OCIRepository', 'Bucket']);

/** Every Flux source object (GitRepository, HelmRepository, OCIRepository, Bucket) under gitops/, with its URL. */
export function readFluxSources(gitopsDir: string): FluxSource[] {
  const root = path.resolve(gitopsDir);
  const out: FluxSource[] = [];
  walkTree(root, (abs, kind) => {
    if (kind !== 'file' || !/\.ya?ml$/.test(abs)) return;
    const top = path.relative(root, abs).split(path.sep)[0];
    if (top === 'stacks' || top === 'regions' || top === 'platform.yaml') return;
    const file = shownPath(root, abs);
    let docs;
    try {
      docs = parseYamlDocuments(readRegularFileSync(abs, file), file);
    } catch {
      return; // validate-flux reports unreadable files
    }
    for (const doc of docs) {
      const o = doc.value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: Record<string, unknown> } | null;
      if (!o || typeof o !== 'object' || typeof o.kind !== 'string' || !SOURCE_KINDS.has(o.kind)) continue;
      if (typeof o.apiVersion !== 'string' || !o.apiVersion.startsWith('source.toolkit.fluxcd.io/')) continue;
      const url = o.kind === 'Bucket' ? o.spec?.endpoint : o.spec?.url;
      out.push({
        kind: o.kind,
        name: String(o.metadata?.name ?? '?'),
        namespace: String(o.metadata?.namespace ?? ''),
        url: typeof url === 'string' ? url : '',
        file,
        line: doc.lines.get(o.kind === 'Bucket' ? 'spec.endpoint' : 'spec.url') ?? doc.line,
      });
    }
  });
  return out;
}

/** With `allowedSources` in platform.yaml, every Flux source must be listed there. */
export function validateFluxSources(config: GitopsConfig): ConfigurationError[] {
  const allowed = config.platform.allowedSources;
  if (!allowed) return [];
  return readFluxSources(config.dir)
    .filter((s) => !isAllowedSource(s.url, allowed))
    .map(
      (s) =>
        new ConfigurationError(
          `${s.kind} ${s.name} fetches from "${s.url}", which is not under any allowedSources entry of ${config.platform.file}: add it there (a new source is reviewed as such) or use a listed one`,
          { file: s.file, line: s.line, path: s.kind === 'Bucket' ? 'spec.endpoint' : 'spec.url' },
        ),
    );
}
