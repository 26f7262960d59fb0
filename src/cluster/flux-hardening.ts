import type { KubeObject } from './kube-client.js';

/*
 * How kustomize-controller must run so that what Flux applies is what was reviewed:
 * - `--no-remote-bases=true`: kustomize may not fetch remote bases or resources while it builds (a URL in a
 *   kustomization would be fetched again, after the review, with whatever it serves then);
 * - feature gate `StrictPostBuildSubstitutions=true`: a `${var}` without a value and without a default fails
 *   the Kustomization instead of silently becoming "" (issue 15, item 12). Off by default in the
 *   kustomize-controller that Flux v2.7 ships (fluxcd/kustomize-controller internal/features/features.go).
 * `flux install` has no option for either, so the exported Deployment is patched before it is applied.
 */

export const KUSTOMIZE_CONTROLLER = 'kustomize-controller';
const NO_REMOTE_BASES = '--no-remote-bases';
const FEATURE_GATES = '--feature-gates';
const STRICT_SUBSTITUTIONS = 'StrictPostBuildSubstitutions';

interface Container {
  name?: string;
  args?: unknown[];
  [k: string]: unknown;
}

function containers(deployment: KubeObject): Container[] {
  const spec = deployment.spec as { template?: { spec?: { containers?: Container[] } } } | undefined;
  return spec?.template?.spec?.containers ?? [];
}

/** The controller's own container (`manager` in Flux's manifests), else the first one. */
function manager(deployment: KubeObject): Container | undefined {
  const all = containers(deployment);
  return all.find((c) => c.name === 'manager') ?? all[0];
}

function isController(o: KubeObject): boolean {
  return o.kind === 'Deployment' && o.metadata.name === KUSTOMIZE_CONTROLLER;
}

/** The value a flag was last given (`--x=v`, `--x v`, or `--x` alone for a boolean: `true`). */
function flagValue(args: string[], flag: string, boolean: boolean): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
    else if (a === flag) value = boolean ? 'true' : args[i + 1];
  });
  return value;
}

/** Feature gates as given on the command line (repeated flags accumulate, later wins). */
function featureGates(args: string[]): Map<string, string> {
  const gates = new Map<string, string>();
  args.forEach((a, i) => {
    const raw = a.startsWith(`${FEATURE_GATES}=`)
      ? a.slice(FEATURE_GATES.length + 1)
      : a === FEATURE_GATES
        ? args[i + 1]
        : undefined;
    for (const pair of (raw ?? '').split(',')) {
      const [k, v] = pair.split('=');
      if (k?.trim()) gates.set(k.trim(), (v ?? '').trim().toLowerCase());
    }
  });
  return gates;
}

/** What a running kustomize-controller Deployment lacks of the settings above, one sentence each. */
export function missingControllerSettings(deployment: KubeObject | undefined): string[] {
  if (!deployment) return [];
  const args = (manager(deployment)?.args ?? []).map(String);
  const missing: string[] = [];
  if (flagValue(args, NO_REMOTE_BASES, true)?.toLowerCase() !== 'true') {
    missing.push(
      `kustomize-controller runs without ${NO_REMOTE_BASES}=true: a remote base in a kustomization would be fetched at reconcile time, after the review`,
    );
  }
  if (featureGates(args).get(STRICT_SUBSTITUTIONS) !== 'true') {
    missing.push(
      `kustomize-controller runs without ${FEATURE_GATES}=${STRICT_SUBSTITUTIONS}=true: a \${var} without a value becomes an empty string instead of failing the Kustomization`,
    );
  }
  return missing;
}

/** Flux's exported manifests with kustomize-controller's arguments set as above (everything else untouched). */
export function hardenFluxInstall(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    if (!isController(o)) return o;
    const copy = structuredClone(o);
    const c = manager(copy);
    if (!c) return copy;
    const args = (c.args ?? [])
      .map(String)
      .filter((a) => a !== NO_REMOTE_BASES && !a.startsWith(`${NO_REMOTE_BASES}=`));
    const gates = featureGates(args);
    gates.set(STRICT_SUBSTITUTIONS, 'true');
    const kept: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === FEATURE_GATES)
        i++; // its value follows
      else if (!a.startsWith(`${FEATURE_GATES}=`)) kept.push(a);
    }
    const gateList = [...gates].map(([k, v]) => `${k}=${v}`).join(',');
    c.args = [...kept, `${NO_REMOTE_BASES}=true`, `${FEATURE_GATES}=${gateList}`];
    return copy;
  });
}
