/*
 * The Coder version the platform runs: declared once (platform.yaml `coder.version`), carried to each
 * region as the cluster variable `coder_version` that apply-region writes at deploy time, never picked
 * up by every cluster from main on Flux's own timer (a version change migrates the shared schema, so the
 * order of regions matters: src/review/domain-rules.ts `coder-version-change`).
 */

/** The cluster variable every Coder HelmRelease takes its chart version from. */
export const CODER_VERSION_VAR = 'coder_version';

/** Charts released with Coder's own version (helm.coder.com/v2): their version is `${coder_version}`. */
export const CODER_CHARTS: readonly string[] = ['coder', 'coder-provisioner'];

/** A Helm chart version (SemVer 2, as Helm requires), optionally with a leading `v`. */
export const CHART_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export interface CoderVersion {
  major: number;
  minor: number;
  patch: number;
  /** Normalised without `v` and build metadata: `2.27.1`, `2.28.0-rc.1`. */
  text: string;
}

/**
 * A chart version or what /api/v2/buildinfo reports (`v2.27.1+abc1234`, `v2.27.1-devel+abc1234`), or
 * undefined when it is neither.
 */
export function parseCoderVersion(value: string): CoderVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(value.trim());
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}${m[4] ?? ''}` };
}

/** `2.27` of a version. */
export function minorOf(v: CoderVersion): string {
  return `${v.major}.${v.minor}`;
}

/**
 * The skew the platform allows between a workspace proxy (or replica) and the primary: the same
 * major.minor. Coder migrates its schema on minor releases and documents that proxies must run the
 * primary's version; patch releases keep the schema, so a proxy may trail by patches only.
 */
export function withinSkew(primary: CoderVersion, other: CoderVersion): boolean {
  return primary.major === other.major && primary.minor === other.minor;
}

/** -1, 0, 1 by major, minor, patch (pre-release and build metadata ignored). */
export function compareCoderVersions(a: CoderVersion, b: CoderVersion): number {
  return Math.sign(a.major - b.major || a.minor - b.minor || a.patch - b.patch);
}
