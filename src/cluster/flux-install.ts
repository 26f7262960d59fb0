import { execFile } from 'node:child_process';
import { loadAll } from 'js-yaml';
import { errorMessage } from '../util/errors.js';
import { isKubeObject, FLUX_NAMESPACE } from './cluster-manifests.js';
import { hardenFluxInstall, missingControllerSettings } from './flux-hardening.js';
import type { KubeClient, KubeObject } from './kube-client.js';

export interface FluxPresence {
  installed: boolean;
  /** `app.kubernetes.io/version` of the kustomize-controller Deployment (e.g. `v2.7.2`). */
  version?: string;
  /** What the running kustomize-controller lacks of the settings flux-hardening requires (empty: none). */
  missingSettings: string[];
}

/** Flux is there when namespace flux-system and its kustomize-controller Deployment exist. */
export async function detectFlux(client: KubeClient): Promise<FluxPresence> {
  const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: FLUX_NAMESPACE });
  if (!ns) return { installed: false, missingSettings: [] };
  const deploy = await client.get({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'kustomize-controller',
    namespace: FLUX_NAMESPACE,
  });
  if (!deploy) return { installed: false, missingSettings: [] };
  return {
    installed: true,
    version: deploy.metadata.labels?.['app.kubernetes.io/version'],
    missingSettings: missingControllerSettings(deploy),
  };
}

/** The drift message when the installed Flux is not the pinned one, else undefined. */
export function fluxDrift(
  presence: Pick<FluxPresence, 'installed' | 'version'>,
  pinned: string,
): string | undefined {
  if (!presence.installed) return undefined;
  if (!presence.version) {
    return `Flux is installed but its version is unknown (kustomize-controller has no app.kubernetes.io/version label); platform.yaml pins ${pinned}`;
  }
  if (normalize(presence.version) === normalize(pinned)) return undefined;
  return `Flux ${presence.version} is installed; platform.yaml pins ${pinned} (flux.version). apply-region does not upgrade a running Flux: upgrade it deliberately (flux install --version ${pinned}) or change the pin`;
}

function normalize(v: string): string {
  return v.startsWith('v') ? v : `v${v}`;
}

/**
 * `flux install --export --version <v>`: Flux's own manifests for that version, parsed, with
 * kustomize-controller's arguments hardened (flux-hardening).
 */
export async function renderFluxInstall(fluxCli: string, version: string): Promise<KubeObject[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      fluxCli,
      ['install', '--export', '--version', version],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, out, errOut) => {
        if (err) {
          reject(
            new Error(
              `'${fluxCli} install --export --version ${version}' failed: ${errOut.trim() || errorMessage(err)}`,
            ),
          );
        } else resolve(out);
      },
    );
  });
  let docs: unknown[];
  try {
    docs = loadAll(stdout);
  } catch (err) {
    throw new Error(`'${fluxCli} install --export' printed invalid YAML: ${errorMessage(err)}`);
  }
  const objects = docs.filter(isKubeObject);
  if (!objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'kustomize-controller')) {
    throw new Error(`'${fluxCli} install --export' printed no kustomize-controller Deployment`);
  }
  return installOrder(hardenFluxInstall(objects));
}

const FIRST = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
];

/** Namespaces and CRDs before what lives in them; otherwise the export's own order. */
export function installOrder(objects: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject): number => {
    const i = FIRST.indexOf(o.kind);
    return i < 0 ? FIRST.length : i;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map(({ o }) => o);
}
