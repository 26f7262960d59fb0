import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { CODER_CHARTS, CODER_VERSION_VAR } from './coder-version.js';
import { closest } from './field-reader.js';
import { FluxFileCache, KUSTOMIZATION_FILES, readFluxTree, yamlFilesUnder, type FluxFile } from './flux-files.js';
import { existsSync } from 'node:fs';
import { variableUses } from './flux-vars.js';
import type { GitopsConfig } from './types.js';
import type { YamlDocument } from './yaml-file.js';

/** An exact version: no ranges, wildcards or `latest` (Flux treats a missing chart version as `*`). */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function rec(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function at(f: FluxFile, doc: YamlDocument, fieldPath: string, message: string): ConfigurationError {
  let p = fieldPath;
  let line = doc.lines.get(p);
  while (line === undefined && p) {
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
    line = p ? doc.lines.get(p) : doc.line;
  }
  return new ConfigurationError(message, { file: f.file, line: line ?? doc.line, path: fieldPath });
}

function checkVersion(f: FluxFile, doc: YamlDocument, fieldPath: string, value: unknown, what: string): ConfigurationError[] {
  if (value === undefined) {
    return [at(f, doc, fieldPath, `${what} is not pinned; Flux then takes the newest release. Set an exact version such as 1.2.3`)];
  }
  if (typeof value === 'string' && value.includes('${')) {
    return [at(f, doc, fieldPath, `${what} "${value}" comes from a variable; pin an exact version in the manifest so every region runs the same one`)];
  }
  if (typeof value !== 'string' || !EXACT_VERSION.test(value)) {
    return [at(f, doc, fieldPath, `${what} "${String(value)}" is not an exact version; ranges, wildcards and latest are not allowed (e.g. 1.2.3)`)];
  }
  return [];
}

/**
 * A Coder chart's version is the one apply-region writes per region (`${coder_version}`, from
 * platform.yaml coder.version): a version written in the manifest would reach every cluster from main on
 * Flux's own timer, so regions would migrate the shared schema in whatever order their timers fire.
 */
function checkCoderVersion(f: FluxFile, doc: YamlDocument, value: unknown, chart: string, config: GitopsConfig): ConfigurationError[] {
  const wanted = `\${${CODER_VERSION_VAR}}`;
  if (value === wanted) {
    return config.platform.coder.version
      ? []
      : [at(f, doc, 'spec.chart.spec.version', `chart ${chart} takes ${wanted}, but ${config.platform.file} has no coder.version: declare the Coder version there (e.g. coder: { version: "2.27.1" })`)];
  }
  return [
    at(
      f,
      doc,
      'spec.chart.spec.version',
      `chart ${chart} version "${String(value ?? '')}" is written in the manifest; the Coder version is set by apply-region at deploy time, primary first: write ${wanted} and declare the version once in ${config.platform.file} coder.version`,
    ),
  ];
}

/** Pinned HelmRelease charts and OCIRepository refs. */
function checkPins(files: FluxFile[], config: GitopsConfig): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  const ociRepos = new Set<string>();
  const chartRefs: { f: FluxFile; doc: YamlDocument; name: string; namespace: string }[] = [];
  for (const f of files) {
    for (const doc of f.docs) {
      const obj = rec(doc.value);
      const kind = obj?.kind;
      const apiVersion = String(obj?.apiVersion ?? '');
      const meta = rec(obj?.metadata);
      const spec = rec(obj?.spec) ?? {};
      const namespace = typeof meta?.namespace === 'string' ? meta.namespace : '';
      if (kind === 'HelmRelease' && apiVersion.startsWith('helm.toolkit.fluxcd.io/')) {
        const chartRef = rec(spec.chartRef);
        if (chartRef) {
          if (chartRef.kind === 'OCIRepository') {
            const ns = typeof chartRef.namespace === 'string' ? chartRef.namespace : namespace;
            chartRefs.push({ f, doc, name: String(chartRef.name), namespace: ns });
          }
        } else {
          const chartSpec = rec(rec(spec.chart)?.spec);
          const chart = String(chartSpec?.chart ?? '?');
          errors.push(
            ...(CODER_CHARTS.includes(chart)
              ? checkCoderVersion(f, doc, chartSpec?.version, chart, config)
              : checkVersion(f, doc, 'spec.chart.spec.version', chartSpec?.version, `chart ${chart}`)),
          );
        }
      } else if (kind === 'OCIRepository' && apiVersion.startsWith('source.toolkit.fluxcd.io/')) {
        ociRepos.add(`${namespace}/${String(meta?.name)}`);
        const ref = rec(spec.ref);
        if (typeof ref?.digest === 'string') continue;
        if (ref?.semver !== undefined) {
          errors.push(...checkVersion(f, doc, 'spec.ref.semver', ref.semver, `OCIRepository ${String(meta?.name)} ref.semver`));
        } else {
          errors.push(...checkVersion(f, doc, 'spec.ref.tag', ref?.tag, `OCIRepository ${String(meta?.name)} ref.tag`));
        }
      }
    }
  }
  for (const { f, doc, name, namespace } of chartRefs) {
    if (!ociRepos.has(`${namespace}/${name}`)) {
      errors.push(
        at(f, doc, 'spec.chartRef', `chartRef names OCIRepository ${namespace}/${name}, which no file under a Flux path declares; its version cannot be checked`),
      );
    }
  }
  return errors;
}

/** Every YAML document in a folder Flux generates a kustomization for must be a Kubernetes object. */
function checkObjects(f: FluxFile): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  for (const doc of f.docs) {
    if (doc.value === null || doc.value === undefined) continue;
    const obj = rec(doc.value);
    const missing = ['apiVersion', 'kind', 'metadata.name'].filter((k) => {
      const v = k === 'metadata.name' ? rec(obj?.metadata)?.name : obj?.[k];
      return typeof v !== 'string' || v === '';
    });
    if (missing.length) {
      errors.push(
        new ConfigurationError(
          `not a Kubernetes object (missing ${missing.join(', ')}); Flux builds every YAML file in a folder without a kustomization.yaml and would fail here. ` +
            'Move the file out of the Flux paths or add a kustomization.yaml listing the resources',
          { file: f.file, line: doc.line },
        ),
      );
    }
  }
  return errors;
}

/** Flux trees of every region: paths exist, files parse, objects are Kubernetes objects, variables have sources, charts are pinned. */
export function validateFlux(config: GitopsConfig): ConfigurationError[] {
  const errors: ConfigurationError[] = [];
  const cache = new FluxFileCache(config.dir);
  const generatedFiles = new Set<string>();
  const seen = new Set<string>();
  const push = (e: ConfigurationError) => {
    if (!seen.has(e.message)) {
      seen.add(e.message);
      errors.push(e);
    }
  };
  for (const region of config.regions) {
    const tree = readFluxTree(config.dir, region.name, cache);
    tree.errors.forEach(push);
    // apply-region applies clusters/<region>/ itself (the sync objects), so it is a generated folder
    // even before a flux-system Kustomization points at it.
    if (existsSync(tree.clusterDir) && !KUSTOMIZATION_FILES.some((f) => existsSync(path.join(tree.clusterDir, f)))) {
      for (const abs of yamlFilesUnder(tree.clusterDir)) {
        cache.get(abs);
        generatedFiles.add(abs);
      }
    }
    for (const k of tree.kustomizations) {
      for (const abs of k.files) {
        if (k.generatedDirs.includes(path.dirname(abs)) || k.generatedDirs.some((d) => abs.startsWith(d + path.sep))) {
          generatedFiles.add(abs);
        }
      }
    }
    const { substituted, literal } = variableUses(tree, cache);
    const known = Object.keys(region.clusterVars);
    for (const [name, uses] of substituted) {
      if (name in region.clusterVars) {
        for (const use of uses.filter((u) => !u.clusterVars)) {
          push(
            new ConfigurationError(
              `\${${name}} is in clusterVars of ${region.file}, but Kustomization ${use.kustomization} does not read the cluster-vars ConfigMap (add it to postBuild.substituteFrom)`,
              { file: use.file, line: use.line },
            ),
          );
        }
        continue;
      }
      const hint = closest(name, known);
      for (const use of uses) {
        push(
          new ConfigurationError(
            `\${${name}} has no source for ${region.name}: add ${name} to clusterVars in ${region.file}` +
              `${hint ? ` (or did you mean \${${hint}}?)` : ''}, or give a default (\${${name}:=value})`,
            { file: use.file, line: use.line },
          ),
        );
      }
    }
    for (const [name, uses] of literal) {
      if (!(name in region.clusterVars)) continue;
      for (const use of uses) {
        push(
          new ConfigurationError(
            `\${${name}} is not substituted here: Kustomization ${use.kustomization} has no postBuild, so the text reaches the cluster as written ` +
              '(add postBuild.substituteFrom: [{kind: ConfigMap, name: cluster-vars}] or move the file; write $${…} for a literal)',
            { file: use.file, line: use.line },
          ),
        );
      }
    }
  }
  const files = cache.all();
  for (const f of files) if (f.error) push(f.error);
  for (const abs of generatedFiles) checkObjects(cache.get(abs)).forEach(push);
  checkPins(files.filter((f) => !f.error), config).forEach(push);
  return errors;
}
