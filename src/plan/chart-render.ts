import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { load, loadAll } from 'js-yaml';
import type { KubeObject } from '../gitops/render-flux.js';
import type { HelmRunner } from '../helm/run-helm.js';
import { unknownValuesKeys, type UnknownValuesKey } from './values-keys.js';

/*
 * A HelmRelease rendered the way helm-controller installs it: `helm template` of the fetched chart with
 * the release's `spec.values` (already substituted for the region), the release name and namespace Flux
 * uses (`spec.releaseName`, default `[<targetNamespace>-]<name>`; `spec.targetNamespace`, default the
 * HelmRelease's namespace: helm-controller api/v2 HelmRelease.GetReleaseName / GetReleaseNamespace) and
 * the chart's CRDs (`crds/`, which Flux installs by default). The chart's values.schema.json is enforced by
 * helm itself; keys the chart does not declare are found by values-keys.ts.
 */

export interface ReleaseInput {
  name: string;
  namespace: string;
  releaseName: string;
  values: Record<string, unknown>;
  /** `spec.valuesFrom` entries: values the plan cannot read (ConfigMaps/Secrets in the cluster). */
  valuesFrom: number;
}

export interface RenderedChart {
  objects: KubeObject[];
  unknownValues: UnknownValuesKey[];
  /** Chart.yaml `name` and `version` of what was rendered. */
  chart: { name: string; version: string };
}

/** Reads what `helm template` needs from a HelmRelease. */
export function releaseInput(release: KubeObject): ReleaseInput {
  const spec = (release.spec ?? {}) as Record<string, unknown>;
  const ns = release.metadata.namespace ?? 'default';
  const target =
    typeof spec.targetNamespace === 'string' && spec.targetNamespace ? spec.targetNamespace : undefined;
  const releaseName =
    typeof spec.releaseName === 'string' && spec.releaseName
      ? spec.releaseName
      : target
        ? `${target}-${release.metadata.name}`
        : release.metadata.name;
  const values =
    spec.values && typeof spec.values === 'object' && !Array.isArray(spec.values) ? spec.values : {};
  return {
    name: release.metadata.name,
    namespace: target ?? ns,
    releaseName,
    values: values as Record<string, unknown>,
    valuesFrom: Array.isArray(spec.valuesFrom) ? spec.valuesFrom.length : 0,
  };
}

/** Renders `chartFile` for `input` and checks its values keys; throws HelmError when helm refuses. */
export async function renderChart(
  helm: HelmRunner,
  chartFile: string,
  input: ReleaseInput,
  workDir: string,
  seq: number,
): Promise<RenderedChart> {
  const valuesFile = path.join(workDir, `values-${seq}.json`);
  await writeFile(valuesFile, JSON.stringify(input.values)); // JSON is YAML: no re-quoting of the user's values
  const [template, defaults, chartYaml] = await Promise.all([
    helm.run([
      'template',
      input.releaseName,
      chartFile,
      '--namespace',
      input.namespace,
      '--values',
      valuesFile,
      '--include-crds',
    ]),
    helm.run(['show', 'values', chartFile]),
    helm.run(['show', 'chart', chartFile]),
  ]);
  const meta = (load(chartYaml.stdout) ?? {}) as {
    name?: unknown;
    version?: unknown;
    dependencies?: { name?: unknown; alias?: unknown }[];
  };
  const subcharts = (meta.dependencies ?? []).flatMap((d) =>
    [d.alias, d.name].filter((x): x is string => typeof x === 'string'),
  );
  const objects: KubeObject[] = [];
  for (const doc of loadAll(template.stdout)) {
    const o = doc as Partial<KubeObject> | null;
    if (!o || typeof o !== 'object' || typeof o.kind !== 'string' || !o.metadata?.name) continue;
    objects.push(o as KubeObject);
  }
  return {
    objects,
    unknownValues: unknownValuesKeys(input.values, load(defaults.stdout) ?? {}, subcharts),
    chart: { name: String(meta.name ?? '?'), version: String(meta.version ?? '?') },
  };
}
