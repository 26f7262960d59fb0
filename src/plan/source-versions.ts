import { load } from 'js-yaml';
import type { AllowedFetcher, FetchOutcome, RegistryRepository } from '../fetch/allowed-fetch.js';
import type { KubeObject, RenderedObject } from '../gitops/render-flux.js';
import type { FluxObjectChange, SourceVersionCheck } from './plan-types.js';

/*
 * Does the chart or image version a pull request asks for exist in its source? Checked through the plan's
 * one allow-listed fetcher (src/fetch/allowed-fetch.ts, main's allowedSources), only for what the pull
 * request adds or changes:
 * - a HelmRelease's chart from a HelmRepository: the repository's index.yaml lists that version
 *   (helm/pkg/repo/v1/index.go: `entries.<chart>[].version`); an `type: oci` HelmRepository: the tag;
 * - an OCIRepository's `ref.tag` (a chart as Flux pulls it, `oci://…`): the registry has the tag;
 * - a container image (pod templates, Helm values `image.repository`/`image.tag`): the registry has the tag.
 * Registries are asked through the OCI distribution API (GET /v2/<name>/manifests/<reference>, with the
 * manifest media types in Accept; a 401 Bearer challenge is answered with an anonymous pull token from the
 * registry's own token service, as public.ecr.aws does). Anything that cannot be checked is reported as
 * "not checked" with the reason; the decision on risk is the review module's (domain-rules.ts).
 */

/** What Docker and containerd send: an image index or a single manifest, OCI or Docker. */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** An exact chart version (Helm accepts a `v` prefix); anything else (`1.x`, `>=1.2`) is a range. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
/** A tag of the distribution spec. */
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

type Found = { outcome: 'exists' | 'missing'; reason: string } | { outcome: 'not-checked'; reason: string };

/** A parsed image reference (distribution's reference grammar, Docker Hub's defaults). */
export interface ImageReference {
  host: string;
  repository: string;
  /** Tag or digest; `latest` when neither is given. */
  reference: string;
}

/** `nginx` → docker.io/library/nginx:latest; `public.ecr.aws/karpenter/controller:1.14.1` as written. */
export function parseImageReference(image: string): ImageReference | undefined {
  let rest = image.trim();
  let reference: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    reference ??= rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let host = hasHost ? first : 'docker.io';
  let repository = (hasHost ? parts.slice(1) : parts).join('/');
  if (host === 'docker.io') {
    // Docker Hub's API lives on registry-1.docker.io; one-component names are under library/.
    host = 'registry-1.docker.io';
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  if (!repository) return undefined;
  return { host, repository, reference: reference ?? 'latest' };
}

/** `oci://host/path` → host and repository path. */
function parseOciUrl(url: string): RegistryRepository | undefined {
  const m = /^oci:\/\/([^/]+)\/(.+?)\/*$/.exec(url.trim());
  return m ? { host: m[1]!, repository: m[2]! } : undefined;
}

/** One plan's checks: indexes, tokens and answers are fetched once and shared by every region. */
export class SourceVersionChecker {
  private readonly indexes = new Map<
    string,
    Promise<{ versions?: Map<string, string[]>; reason?: string }>
  >();
  private readonly manifests = new Map<string, Promise<Found>>();
  private readonly tokens = new Map<string, Promise<string | undefined>>();

  constructor(private readonly fetcher: AllowedFetcher) {}

  /** Checks of the versions `changes` add or change, with the head objects to find their sources in. */
  async checkRegion(
    region: string,
    changes: readonly FluxObjectChange[],
    head: readonly RenderedObject[],
  ): Promise<SourceVersionCheck[]> {
    const jobs: Promise<SourceVersionCheck>[] = [];
    const objectOf = (c: FluxObjectChange) =>
      head.find(
        (h) =>
          h.object.kind === c.kind &&
          h.object.metadata?.name === c.name &&
          (h.object.metadata?.namespace ?? undefined) === (c.namespace ?? undefined),
      )?.object;
    for (const c of changes) {
      if (c.action === 'removed') continue;
      const subject = `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;
      const obj = objectOf(c);
      if (c.kind === 'OCIRepository' && obj && this.refChanged(c))
        jobs.push(this.checkOciRepository(region, subject, obj));
      if (c.kind === 'HelmRelease' && obj && c.chart?.to !== undefined)
        jobs.push(this.checkHelmChart(region, subject, obj, c.chart.name, c.chart.to, head));
      for (const img of c.images ?? []) {
        if (img.to === undefined) continue;
        jobs.push(this.checkImage(region, subject, img.to));
      }
    }
    return Promise.all(jobs);
  }

  private refChanged(c: FluxObjectChange): boolean {
    return (
      c.action === 'added' || c.fields.some((f) => f.path.startsWith('spec.ref') || f.path === 'spec.url')
    );
  }

  private async checkOciRepository(
    region: string,
    subject: string,
    o: KubeObject,
  ): Promise<SourceVersionCheck> {
    const spec = (o.spec ?? {}) as {
      url?: unknown;
      ref?: { tag?: unknown; digest?: unknown; semver?: unknown };
    };
    const url = typeof spec.url === 'string' ? spec.url : '';
    const reference =
      typeof spec.ref?.digest === 'string'
        ? spec.ref.digest
        : typeof spec.ref?.tag === 'string'
          ? spec.ref.tag
          : undefined;
    const shown = `${url}${reference ? (reference.startsWith('sha256:') ? `@${reference}` : `:${reference}`) : ''}`;
    const base = {
      region,
      subject,
      kind: 'oci-artifact' as const,
      source: url,
      version: reference ?? '',
      reference: shown,
    };
    if (spec.ref?.semver !== undefined && reference === undefined)
      return {
        ...base,
        version: String(spec.ref.semver),
        outcome: 'not-checked',
        reason: `a semver range (${String(spec.ref.semver)}), not one tag`,
      };
    if (!reference)
      return { ...base, outcome: 'not-checked', reason: 'no tag or digest (Flux follows latest)' };
    const ref = parseOciUrl(url);
    if (!ref) return { ...base, outcome: 'not-checked', reason: `${url} is not an oci:// URL` };
    return { ...base, ...(await this.manifest(ref, reference)) };
  }

  private async checkHelmChart(
    region: string,
    subject: string,
    o: KubeObject,
    chart: string,
    version: string,
    head: readonly RenderedObject[],
  ): Promise<SourceVersionCheck> {
    const spec = (o.spec ?? {}) as {
      chart?: { spec?: { sourceRef?: { kind?: unknown; name?: unknown; namespace?: unknown } } };
    };
    const sourceRef = spec.chart?.spec?.sourceRef;
    const base = {
      region,
      subject,
      kind: 'helm-chart' as const,
      source: '',
      version,
      reference: `${chart} ${version}`,
    };
    if (!EXACT_VERSION.test(version))
      return { ...base, outcome: 'not-checked', reason: `a version range (${version}), not one version` };
    if (sourceRef?.kind !== 'HelmRepository')
      return {
        ...base,
        outcome: 'not-checked',
        reason: `the chart comes from a ${String(sourceRef?.kind ?? 'source')}, not a HelmRepository`,
      };
    const ns = typeof sourceRef.namespace === 'string' ? sourceRef.namespace : o.metadata?.namespace;
    const repo = head.find(
      (h) =>
        h.object.kind === 'HelmRepository' &&
        h.object.metadata?.name === sourceRef.name &&
        h.object.metadata?.namespace === ns,
    )?.object;
    const repoSpec = (repo?.spec ?? {}) as { url?: unknown; type?: unknown };
    if (!repo || typeof repoSpec.url !== 'string')
      return {
        ...base,
        outcome: 'not-checked',
        reason: `HelmRepository ${ns ?? ''}/${String(sourceRef.name)} is not in this region's objects`,
      };
    const url = repoSpec.url;
    const withSource = { ...base, source: url, reference: `${url} ${chart} ${version}` };
    if (repoSpec.type === 'oci' || url.startsWith('oci://')) {
      const ref = parseOciUrl(url);
      if (!ref) return { ...withSource, outcome: 'not-checked', reason: `${url} is not an oci:// URL` };
      // Helm stores a chart at <repository>/<chart>:<version>, `+` written `_` (OCI tags have no `+`).
      const tag = version.replace(/\+/g, '_');
      return {
        ...withSource,
        ...(await this.manifest({ host: ref.host, repository: `${ref.repository}/${chart}` }, tag)),
      };
    }
    return { ...withSource, ...(await this.indexHas(url, chart, version)) };
  }

  private async checkImage(region: string, subject: string, image: string): Promise<SourceVersionCheck> {
    const base = { region, subject, kind: 'image' as const, source: image, version: '', reference: image };
    if (image.includes('(chart default)'))
      return { ...base, outcome: 'not-checked', reason: "repository or tag left to the chart's default" };
    if (image.includes('${'))
      return {
        ...base,
        outcome: 'not-checked',
        reason: 'the reference holds a variable known only in the cluster',
      };
    const ref = parseImageReference(image);
    if (!ref) return { ...base, outcome: 'not-checked', reason: 'not an image reference' };
    return {
      ...base,
      source: `oci://${ref.host}/${ref.repository}`,
      version: ref.reference,
      ...(await this.manifest(ref, ref.reference)),
    };
  }

  private indexHas(url: string, chart: string, version: string): Promise<Found> {
    const indexUrl = `${url.replace(/\/+$/, '')}/index.yaml`;
    let pending = this.indexes.get(indexUrl);
    if (!pending) {
      pending = this.fetcher.get(indexUrl, 'chart version check (Helm repository index)').then(readIndex);
      this.indexes.set(indexUrl, pending);
    }
    return pending.then(({ versions, reason }): Found => {
      if (!versions) return { outcome: 'not-checked', reason: reason ?? 'no index' };
      const listed = versions.get(chart);
      if (!listed) return { outcome: 'missing', reason: `${indexUrl} has no chart named ${chart}` };
      const want = version.replace(/^v/, '');
      if (listed.some((v) => v.replace(/^v/, '') === want))
        return { outcome: 'exists', reason: `listed in ${indexUrl}` };
      return {
        outcome: 'missing',
        reason: `${indexUrl} does not list ${chart} ${version} (newest listed: ${listed.slice(0, 3).join(', ') || 'none'})`,
      };
    });
  }

  private manifest(ref: RegistryRepository, reference: string): Promise<Found> {
    const key = `${ref.host}/${ref.repository}:${reference}`;
    let pending = this.manifests.get(key);
    if (!pending) {
      pending = this.askRegistry(ref, reference);
      this.manifests.set(key, pending);
    }
    return pending;
  }

  private async askRegistry(ref: RegistryRepository, reference: string): Promise<Found> {
    if (!TAG.test(reference) && !DIGEST.test(reference))
      return { outcome: 'not-checked', reason: `${reference} is not a tag or a sha256 digest` };
    const where = `${ref.host}/${ref.repository}`;
    const purpose = 'version check (registry manifest)';
    const path = `manifests/${reference}`;
    let out = await this.fetcher.getFromRegistry(ref, path, purpose, { accept: MANIFEST_ACCEPT });
    if (out.outcome === 'failed' && out.status === 401 && out.challenge) {
      const token = await this.anonymousToken(ref, out.challenge);
      if (token === undefined)
        return {
          outcome: 'not-checked',
          reason: `${where} asks for credentials and gave no anonymous pull token`,
        };
      out = await this.fetcher.getFromRegistry(ref, path, purpose, {
        accept: MANIFEST_ACCEPT,
        authorization: `Bearer ${token}`,
      });
    }
    return registryAnswer(out, where, reference);
  }

  private anonymousToken(ref: RegistryRepository, challenge: string): Promise<string | undefined> {
    const key = `${ref.host}/${ref.repository}`;
    let pending = this.tokens.get(key);
    if (!pending) {
      pending = this.fetchToken(ref, challenge);
      this.tokens.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(ref: RegistryRepository, challenge: string): Promise<string | undefined> {
    const params = parseBearerChallenge(challenge);
    if (!params?.realm) return undefined;
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', `repository:${ref.repository}:pull`);
    const out = await this.fetcher.getRegistryToken(
      ref,
      realm.toString(),
      'version check (anonymous pull token)',
    );
    if (out.outcome !== 'fetched') return undefined;
    try {
      const body = JSON.parse(out.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      const token = typeof body.token === 'string' ? body.token : body.access_token;
      return typeof token === 'string' && token ? token : undefined;
    } catch {
      return undefined;
    }
  }
}

function readIndex(out: FetchOutcome): { versions?: Map<string, string[]>; reason?: string } {
  if (out.outcome === 'not-allowed') return { reason: `not allow-listed: ${out.reason}` };
  if (out.outcome === 'failed') {
    if (/^larger than \d+ bytes$/.test(out.reason))
      return { reason: `index.yaml is too big to fetch (${out.reason})` };
    return { reason: `index unreachable: ${out.url}: ${out.reason}` };
  }
  let doc: unknown;
  try {
    doc = load(out.body.toString('utf8'));
  } catch (err) {
    return { reason: `${out.url} is not YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (!entries || typeof entries !== 'object')
    return { reason: `${out.url} has no entries: not a Helm repository index` };
  const versions = new Map<string, string[]>();
  for (const [name, list] of Object.entries(entries as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    versions.set(
      name,
      list
        .map((e) => (e as { version?: unknown } | null)?.version)
        .filter((v): v is string => typeof v === 'string'),
    );
  }
  return { versions };
}

function registryAnswer(out: FetchOutcome, where: string, reference: string): Found {
  if (out.outcome === 'fetched') return { outcome: 'exists', reason: `${where} has ${reference}` };
  if (out.outcome === 'not-allowed')
    return { outcome: 'not-checked', reason: `not allow-listed: ${out.reason}` };
  if (out.status === 404)
    return { outcome: 'missing', reason: `${where} has no ${reference} (the registry answers 404)` };
  if (out.status === 401 || out.status === 403)
    return {
      outcome: 'not-checked',
      reason: `${where} refuses anonymous pulls (HTTP ${out.status}): a private registry`,
    };
  return { outcome: 'not-checked', reason: `registry unreachable: ${out.url}: ${out.reason}` };
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters (RFC 6750 §3). */
export function parseBearerChallenge(header: string): Record<string, string> | undefined {
  const m = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const p of m[1]!.matchAll(/(\w+)="([^"]*)"/g)) out[p[1]!.toLowerCase()] = p[2]!;
  return out;
}
