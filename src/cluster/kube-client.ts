import {
  ApiException,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { errorCode, errorMessage } from '../util/errors.js';

/** The field manager of every server-side apply made by coder-gitops. */
export const FIELD_MANAGER = 'coder-gitops';

/** A Kubernetes object as we read and write it (plain JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** What identifies an object. */
export interface KubeRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** A Kubernetes API call that failed: `status` is the HTTP status, undefined when the server was not reached. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/**
 * The generic object API, told to treat every object as wire JSON: its typed models expect their own
 * attribute names, so serializing a CRD through `V1CustomResourceDefinition` silently drops
 * `x-kubernetes-preserve-unknown-fields` and the like.
 */
class WireObjectApi extends KubernetesObjectApi {
  protected override async getSerializationType(): Promise<string> {
    return 'WireKubernetesObject';
  }
  /** The collection URL path of a kind (`/apis/<group>/<version>/namespaces/<ns>/<plural>`), by discovery. */
  listPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    return this.specUriPath({ apiVersion, kind, metadata: { namespace } }, 'list');
  }
  static forConfig(kc: KubeConfig): WireObjectApi {
    const api = kc.makeApiClient(WireObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }
}

/** One request may not take longer than this (a black-holed endpoint would otherwise hang for minutes). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The few Kubernetes calls the cluster step makes, through `@kubernetes/client-node`: server-side apply
 * (field manager {@link FIELD_MANAGER}, force), get, list and a merge patch for annotations.
 */
export class KubeClient {
  private api: WireObjectApi;
  constructor(
    private readonly kc: KubeConfig,
    /** How messages name the cluster (`cluster coderdemo-us-west-2 at https://…`). */
    readonly label: string,
  ) {
    this.api = WireObjectApi.forConfig(kc);
  }

  /** The API server URL. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  /** Forget discovered resource types (after CRDs are created the API serves new groups). */
  resetDiscovery(): void {
    this.api = WireObjectApi.forConfig(this.kc);
  }

  /** The object, or undefined when it (or its kind) does not exist. */
  async get(ref: KubeRef): Promise<KubeObject | undefined> {
    try {
      const spec = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      };
      return toPlain(await this.call(`read ${describeRef(ref)}`, () => this.api.read(spec)));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Every object of a kind (in a namespace, or all); [] when the kind is not served (Flux not installed). */
  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    return (await this.listWithVersion(apiVersion, kind, namespace)).items;
  }

  /** {@link list} plus the list's resourceVersion, where a watch starts from. */
  async listWithVersion(
    apiVersion: string,
    kind: string,
    namespace?: string,
  ): Promise<{ items: KubeObject[]; resourceVersion?: string }> {
    try {
      const res = (await this.call(`list ${kind}`, () => this.api.list(apiVersion, kind, namespace))) as {
        items?: unknown[];
        metadata?: { resourceVersion?: string };
      };
      const items = (res.items ?? []).map((i) => {
        const o = toPlain(i);
        // LIST items carry no apiVersion/kind.
        return { ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind };
      });
      return { items, resourceVersion: res.metadata?.resourceVersion };
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return { items: [] };
      throw err;
    }
  }

  /**
   * Watch a kind from a resourceVersion: `onEvent` per event (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR),
   * `onDone` once when the stream ends for any reason. Abort the returned controller to stop.
   */
  async watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    resourceVersion: string | undefined,
    onEvent: (type: string, obj: KubeObject) => void,
    onDone: (err: unknown) => void,
  ): Promise<AbortController> {
    const path = await this.call(`watch ${kind}`, () => this.api.listPath(apiVersion, kind, namespace));
    return new Watch(this.kc).watch(
      path,
      { resourceVersion, allowWatchBookmarks: true },
      (type, obj) => onEvent(type, obj as KubeObject),
      onDone,
    );
  }

  /**
   * Server-side apply: `created` when the object did not exist, `unchanged` when the server kept its
   * resourceVersion (an apply that changes nothing does not write), else `configured`.
   */
  async apply(obj: KubeObject): Promise<ApplyResult> {
    const ref = refOf(obj);
    const before = await this.get(ref);
    const body = structuredClone(obj) as KubernetesObject;
    const after = toPlain(
      await this.call(`apply ${describeRef(ref)}`, () =>
        this.api.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
      ),
    );
    if (!before) return 'created';
    return before.metadata.resourceVersion === after.metadata?.resourceVersion ? 'unchanged' : 'configured';
  }

  /** A JSON merge patch (used for the reconcile annotation, which the flux CLI also sets this way). */
  async mergePatch(ref: KubeRef, patch: Record<string, unknown>): Promise<void> {
    const body = {
      ...patch,
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: {
        ...((patch.metadata as object | undefined) ?? {}),
        name: ref.name,
        namespace: ref.namespace,
      },
    } as KubernetesObject;
    await this.call(`annotate ${describeRef(ref)}`, () =>
      this.api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new KubeApiError(
              `cannot reach the Kubernetes API of ${this.label}: ${what} got no answer in ${REQUEST_TIMEOUT_MS / 1000} s`,
              undefined,
              'Timeout',
            ),
          ),
        REQUEST_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      throw this.translate(what, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private translate(what: string, err: unknown): Error {
    if (err instanceof KubeApiError) return err;
    if (err instanceof ApiException) {
      const status = (err as ApiException<unknown>).code;
      const body = parseBody((err as ApiException<unknown>).body);
      const reason = body.reason ?? '';
      const detail = body.message ?? `HTTP ${status}`;
      return new KubeApiError(`${what}: ${detail}`, status, reason);
    }
    const msg = errorMessage(err);
    // node-fetch's FetchError carries the socket error in `code`; discovery rewraps only the message.
    const rawCode = (err as { code?: unknown } | undefined)?.code;
    const code =
      (typeof rawCode === 'string' ? rawCode : '') || /\b(E[A-Z]{4,})\b/.exec(msg)?.[1] || errorCode(err);
    if (/^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN)$/.test(code)) {
      return new KubeApiError(
        `cannot reach the Kubernetes API of ${this.label} (${code}): is the endpoint right and reachable from this runner (public endpoint access, security groups)?`,
        undefined,
        code,
      );
    }
    if (/certificate|self[- ]signed|UNABLE_TO_VERIFY|CERT_/i.test(`${code} ${msg}`)) {
      return new KubeApiError(
        `cannot reach the Kubernetes API of ${this.label}: TLS verification failed (${msg}); is the cluster CA right?`,
        undefined,
        'TLS',
      );
    }
    // Discovery failures arrive as plain errors naming the kind.
    return new KubeApiError(`${what}: ${msg}`, undefined, code || 'Error');
  }
}

/** The reference of an object. */
export function refOf(obj: KubeObject): KubeRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name,
    namespace: obj.metadata.namespace,
  };
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects). */
export function describeRef(ref: { kind: string; name: string; namespace?: string }): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function parseBody(body: unknown): { message?: string; reason?: string } {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { message?: string; reason?: string };
    } catch {
      return { message: body };
    }
  }
  if (body && typeof body === 'object') return body as { message?: string; reason?: string };
  return {};
}

/** The client deserializes known kinds into classes with Dates; we want the wire JSON. */
function toPlain(value: unknown): KubeObject {
  return JSON.parse(JSON.stringify(value ?? {})) as KubeObject;
}
