import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A local HTTPS stand-in for the small part of the Kubernetes API the cluster step uses: discovery,
 * server-side apply (PATCH application/apply-patch+yaml), merge patch, GET and LIST; plus a programmable
 * Flux that, once the sync objects exist and a reconcile is requested, creates the region's
 * Kustomizations and HelmReleases and makes them Ready after a number of polls (LISTs of Kustomizations).
 *
 * Server-side apply is approximated for a single manager: the applied object is deep-merged over the
 * stored one (fields set by others, like the reconcile annotation, survive), and an apply that changes
 * nothing keeps the resourceVersion, as the real API server does.
 */

export interface StandInHelmRelease {
  namespace: string;
  name: string;
  /** Polls after the sync before it is Ready. */
  readyAfterPolls: number;
  /** Stays Ready=False with this message. */
  stuck?: string;
  /**
   * The chart version comes from this cluster-vars key, as Flux's postBuild substitution gives it
   * (`version: ${coder_version}`): at each reconcile the HelmRelease follows the ConfigMap, and a changed
   * version is an upgrade that is Ready `readyAfterPolls` polls later.
   */
  chartVersionVar?: string;
  /** `spec.values.coder.replicaCount` from this cluster-vars key (default 1). */
  replicasVar?: string;
  /** An upgrade to one of these versions fails (Ready=False, UpgradeFailed); the deployed release stays as it was. */
  failingVersions?: string[];
}

/** A change of what a HelmRelease has deployed (helm-controller's history), in the order it happened. */
export interface DeployedChange {
  /** Date.now() when the release became Ready at this version and replica count. */
  at: number;
  /** Order of the change within this stand-in (ties in `at` are common). */
  seq: number;
  release: string;
  version?: string;
  replicas: number;
}

export interface KubeStandInOptions {
  /** Answer 403 to everything (the deploy role has no EKS access entry). */
  forbidden?: boolean;
  /** Flux already running at this version. */
  fluxVersion?: string;
  /** Arguments of that Flux's kustomize-controller container (`manager`); default none. */
  kustomizeControllerArgs?: string[];
  helmReleases?: StandInHelmRelease[];
  /** The revision the GitRepository reports once reconciled. */
  revision?: string;
  /** End every watch connection after this many events (a watch that drops). */
  dropWatchAfterEvents?: number;
}

interface Watcher {
  kind: string;
  group: string;
  apiVersion: string;
  namespace?: string;
  res: ServerResponse;
  sent: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  authorization: string;
  status: number;
}

interface Resource {
  group: string; // '' for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
};

const BUILT_IN: Resource[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
];

const FLUX_CRDS = [
  { group: 'source.toolkit.fluxcd.io', kind: 'GitRepository', plural: 'gitrepositories', versions: ['v1'] },
  { group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', plural: 'kustomizations', versions: ['v1'] },
  { group: 'helm.toolkit.fluxcd.io', kind: 'HelmRelease', plural: 'helmreleases', versions: ['v2'] },
];

let deployedSeq = 0;

export class KubeStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Every change of a deployed release (version, replicas), with its time: what the cluster ran when. */
  readonly deployedLog: DeployedChange[] = [];
  private readonly deployed = new Map<string, { version?: string; replicas: number }>();
  private readonly pendingSince = new Map<string, number>();
  private readonly store = new Map<string, Obj>();
  private rv = 100;
  private polls = 0;
  private server?: Server;
  private watchers: Watcher[] = [];
  private watchListeners: (() => void)[] = [];
  private dir?: string;
  url = '';
  /** Base64 PEM of the server certificate (self-signed: it is its own CA). */
  caData = '';

  constructor(readonly options: KubeStandInOptions = {}) {
    if (options.fluxVersion) this.seedFlux(options.fluxVersion);
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'kube-stand-in-'));
    const key = join(this.dir, 'key.pem');
    const cert = join(this.dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
        '-subj',
        '/CN=kube-stand-in',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]),
      { stdio: 'ignore' },
    );
    const certPem = readFileSync(cert);
    this.caData = certPem.toString('base64');
    this.server = createServer({ key: readFileSync(key), cert: certPem }, (req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers = [];
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A stored object, by kind, namespace and name. */
  get(kind: string, name: string, namespace?: string): Obj | undefined {
    for (const o of this.store.values()) {
      if (o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? '') === (namespace ?? ''))
        return o;
    }
    return undefined;
  }

  /** What a HelmRelease has deployed now (undefined before its first successful install). */
  deployedRelease(namespace: string, name: string): { version?: string; replicas: number } | undefined {
    return this.deployed.get(`${namespace}/${name}`);
  }

  /** Every stored object of a kind. */
  all(kind: string): Obj[] {
    return [...this.store.values()].filter((o) => o.kind === kind);
  }

  /** Requests that wrote something (PATCH). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'PATCH');
  }

  /** Watch requests made for a kind, in order (their query has the resourceVersion resumed from). */
  watchRequests(kind: string): RecordedRequest[] {
    const plural = this.resources().find((r) => r.kind === kind)?.plural ?? '';
    return this.requests.filter((r) => r.query.watch === 'true' && r.path.endsWith(`/${plural}`));
  }

  /** Resolves once `count` watch requests have been made for a kind. */
  async untilWatchRequests(kind: string, count: number): Promise<void> {
    while (this.watchRequests(kind).length < count) {
      await new Promise<void>((resolve) => this.watchListeners.push(resolve));
    }
  }

  /** Change an object as a controller would (status, labels): a new resourceVersion and a watch event. */
  modify(kind: string, name: string, namespace: string | undefined, change: (o: Obj) => void): Obj {
    const o = this.get(kind, name, namespace);
    if (!o) throw new Error(`stand-in: no ${kind} ${namespace ?? ''}/${name}`);
    change(o);
    this.touch(o);
    return o;
  }

  /** Create an object directly, as a controller would. */
  create(obj: Obj): Obj {
    const r = this.resources().find((x) => x.kind === obj.kind) as Resource;
    return this.put(this.key(r, obj.metadata.namespace, obj.metadata.name), obj);
  }

  private touch(o: Obj): void {
    o.metadata.resourceVersion = String(++this.rv);
    this.emit('MODIFIED', o);
  }

  private emit(type: string, o: Obj): void {
    for (const w of [...this.watchers]) this.emitTo(w, o, type);
  }

  private emitTo(w: Watcher, o: Obj, type = 'MODIFIED'): void {
    if (w.kind !== o.kind || o.apiVersion.split('/')[0] !== w.group) return;
    if (w.namespace !== undefined && o.metadata.namespace !== w.namespace) return;
    w.res.write(`${JSON.stringify({ type, object: { ...o, apiVersion: w.apiVersion } })}\n`);
    w.sent++;
    if (this.options.dropWatchAfterEvents !== undefined && w.sent >= this.options.dropWatchAfterEvents) {
      this.watchers = this.watchers.filter((x) => x !== w);
      w.res.end();
    }
  }

  private seedFlux(version: string): void {
    const labels = { 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/version': version };
    this.put(this.key(BUILT_IN[0] as Resource, undefined, 'flux-system'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'flux-system', labels },
    });
    for (const c of FLUX_CRDS) {
      const r = BUILT_IN.find((b) => b.kind === 'CustomResourceDefinition') as Resource;
      this.put(this.key(r, undefined, `${c.plural}.${c.group}`), {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${c.plural}.${c.group}`, labels },
        spec: {
          group: c.group,
          names: { kind: c.kind, plural: c.plural },
          scope: 'Namespaced',
          versions: c.versions.map((name) => ({ name, served: true, storage: true })),
        },
      });
    }
    const deploy = BUILT_IN.find((b) => b.kind === 'Deployment') as Resource;
    this.put(this.key(deploy, 'flux-system', 'kustomize-controller'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'kustomize-controller', namespace: 'flux-system', labels },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'manager', args: [...(this.options.kustomizeControllerArgs ?? [])] }],
          },
        },
      },
    });
  }

  private put(key: string, obj: Obj): Obj {
    const type = this.store.has(key) ? 'MODIFIED' : 'ADDED';
    obj.metadata.resourceVersion = String(++this.rv);
    obj.metadata.generation = obj.metadata.generation ?? 1;
    obj.metadata.uid = obj.metadata.uid ?? `uid-${this.rv}`;
    obj.metadata.creationTimestamp = obj.metadata.creationTimestamp ?? '2026-01-01T00:00:00Z';
    this.store.set(key, obj);
    this.emit(type, obj);
    return obj;
  }

  private key(r: Resource, namespace: string | undefined, name: string): string {
    return `${r.group}/${r.plural}/${r.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  private resources(): Resource[] {
    const out = [...BUILT_IN];
    for (const crd of this.all('CustomResourceDefinition')) {
      const spec = crd.spec as {
        group: string;
        names: { kind: string; plural: string };
        scope: string;
        versions: { name: string; served?: boolean }[];
      };
      for (const v of spec.versions) {
        if (v.served === false) continue;
        out.push({
          group: spec.group,
          version: v.name,
          plural: spec.names.plural,
          kind: spec.names.kind,
          namespaced: spec.scope === 'Namespaced',
        });
      }
    }
    return out;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: String(req.headers['content-type'] ?? ''),
      authorization: String(req.headers.authorization ?? ''),
      status: 0,
    };
    this.requests.push(rec);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, reason: string, message: string): void =>
      send(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code: status });
    if (this.options.forbidden) {
      fail(
        403,
        'Forbidden',
        `${rec.path} is forbidden: User "arn:aws:sts::123456789012:assumed-role/deploy/session" cannot ${rec.method.toLowerCase()} resource`,
      );
      return;
    }
    try {
      this.route(rec, Buffer.concat(chunks).toString('utf8'), send, fail, res);
    } catch (err) {
      fail(500, 'InternalError', String(err));
    }
  }

  private route(
    rec: RecordedRequest,
    body: string,
    send: (status: number, body: unknown) => void,
    fail: (status: number, reason: string, message: string) => void,
    res: ServerResponse,
  ): void {
    const parts = rec.path.split('/').filter(Boolean);
    // Discovery.
    if (rec.path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'] });
    if (rec.path === '/apis') {
      const groups = [
        ...new Set(
          this.resources()
            .map((r) => r.group)
            .filter(Boolean),
        ),
      ];
      return send(200, {
        kind: 'APIGroupList',
        groups: groups.map((name) => ({ name, versions: [] })),
      });
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api') {
      group = '';
      version = parts[1] ?? '';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis') {
      group = parts[1] ?? '';
      version = parts[2] ?? '';
      rest = parts.slice(3);
    } else return fail(404, 'NotFound', 'the server could not find the requested resource');
    const served = this.resources().filter((r) => r.group === group && r.version === version);
    if (served.length === 0) return fail(404, 'NotFound', 'the server could not find the requested resource');
    if (rest.length === 0) {
      return send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources: served.map((r) => ({
          name: r.plural,
          singularName: r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        })),
      });
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = served.find((r) => r.plural === rest[0]);
    if (!resource) return fail(404, 'NotFound', 'the server could not find the requested resource');
    const name = rest[1];
    const apiVersion = group ? `${group}/${version}` : version;
    if (!name) {
      if (rec.method !== 'GET') return fail(405, 'MethodNotAllowed', 'method not allowed');
      if (rec.query.watch === 'true') {
        rec.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const w: Watcher = {
          kind: resource.kind,
          group: apiVersion.split('/')[0] ?? '',
          apiVersion,
          namespace,
          res,
          sent: 0,
        };
        this.watchers.push(w);
        res.on('close', () => (this.watchers = this.watchers.filter((x) => x !== w)));
        const since = Number(rec.query.resourceVersion ?? 0);
        for (const o of this.store.values()) {
          if (this.watchers.includes(w) && Number(o.metadata.resourceVersion) > since) this.emitTo(w, o);
        }
        const listeners = this.watchListeners;
        this.watchListeners = [];
        for (const l of listeners) l();
        return;
      }
      if (resource.kind === 'Kustomization') this.fluxTick();
      const items = [...this.store.values()].filter(
        (o) =>
          o.kind === resource.kind &&
          o.apiVersion.split('/')[0] === apiVersion.split('/')[0] &&
          (namespace === undefined || o.metadata.namespace === namespace),
      );
      return send(200, {
        kind: `${resource.kind}List`,
        apiVersion,
        metadata: { resourceVersion: String(this.rv) },
        items: items.map((o) => ({ ...o, apiVersion })),
      });
    }
    const key = this.key(resource, namespace, name);
    const existing = this.store.get(key);
    if (rec.method === 'GET') {
      if (!existing) return fail(404, 'NotFound', `${resource.plural} "${name}" not found`);
      return send(200, { ...existing, apiVersion });
    }
    if (rec.method !== 'PATCH') return fail(405, 'MethodNotAllowed', 'method not allowed');
    if (
      resource.namespaced &&
      !this.store.has(this.key(BUILT_IN[0] as Resource, undefined, namespace ?? ''))
    ) {
      return fail(404, 'NotFound', `namespaces "${namespace ?? ''}" not found`);
    }
    const patch = JSON.parse(body) as Obj;
    if (rec.contentType.startsWith('application/apply-patch+yaml')) {
      if (rec.query.fieldManager !== 'coder-gitops' || rec.query.force !== 'true') {
        return fail(422, 'Invalid', 'expected fieldManager=coder-gitops and force=true');
      }
      if (patch.kind !== resource.kind || patch.metadata.name !== name) {
        return fail(400, 'BadRequest', 'the kind or name in the body does not match the URL');
      }
      if (!existing) {
        const created = this.put(key, { ...strip(patch), apiVersion });
        return send(201, created);
      }
      return send(200, this.update(key, existing, patch));
    }
    if (rec.contentType.startsWith('application/merge-patch+json')) {
      if (!existing) return fail(404, 'NotFound', `${resource.plural} "${name}" not found`);
      return send(200, this.update(key, existing, patch));
    }
    return fail(415, 'UnsupportedMediaType', `unsupported patch type ${rec.contentType}`);
  }

  private update(key: string, existing: Obj, patch: Obj): Obj {
    const merged = deepMerge(strip(existing), strip(patch)) as Obj;
    if (canonical(merged) === canonical(strip(existing))) return existing;
    const specChanged = canonical(merged.spec) !== canonical(existing.spec);
    const next: Obj = {
      ...merged,
      metadata: {
        ...merged.metadata,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
        generation: (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0),
      },
      ...(existing.status ? { status: existing.status } : {}),
    };
    return this.put(key, next);
  }

  private setStatus(o: Obj, status: Record<string, unknown>): void {
    if (canonical(o.status) === canonical(status)) return;
    o.status = status;
    this.touch(o);
  }

  /** One Flux step, taken on every poll once the sync objects exist and a reconcile was requested. */
  private fluxTick(): void {
    const repo = this.get('GitRepository', 'flux-system', 'flux-system');
    const sync = this.get('Kustomization', 'flux-system', 'flux-system');
    const controller = this.get('Deployment', 'kustomize-controller', 'flux-system');
    if (!repo || !sync || !controller) return;
    const requestedAt = sync.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    if (!requestedAt) return;
    this.polls++;
    const revision = this.options.revision ?? 'main@sha1:0123456789abcdef0123456789abcdef01234567';
    const ready = (message: string): Record<string, unknown> => ({
      type: 'Ready',
      status: 'True',
      reason: 'ReconciliationSucceeded',
      message,
    });
    this.setStatus(repo, {
      observedGeneration: repo.metadata.generation,
      lastHandledReconcileAt: repo.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'],
      artifact: { revision },
      conditions: [ready(`stored artifact for revision '${revision}'`)],
    });
    this.setStatus(sync, {
      observedGeneration: sync.metadata.generation,
      lastHandledReconcileAt: requestedAt,
      lastAppliedRevision: revision,
      conditions: [ready(`Applied revision: ${revision}`)],
    });
    const releases = this.options.helmReleases ?? [];
    const vars = (this.get('ConfigMap', 'cluster-vars', 'flux-system')?.data ?? {}) as Record<string, string>;
    const failing = new Map<StandInHelmRelease, string>();
    const done = new Map<StandInHelmRelease, boolean>();
    for (const hr of releases) {
      const id = `${hr.namespace}/${hr.name}`;
      let obj = this.get('HelmRelease', hr.name, hr.namespace);
      if (!obj) {
        const r = this.resources().find((x) => x.kind === 'HelmRelease') as Resource;
        obj = this.put(this.key(r, hr.namespace, hr.name), {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          metadata: { name: hr.name, namespace: hr.namespace },
          spec: { chart: { spec: { chart: hr.name } } },
        });
        this.pendingSince.set(id, 0);
      }
      // Flux's postBuild substitution: the spec follows cluster-vars at each reconcile.
      const version = hr.chartVersionVar ? vars[hr.chartVersionVar] : undefined;
      const replicas =
        hr.replicasVar && vars[hr.replicasVar] !== undefined ? Number(vars[hr.replicasVar]) : 1;
      const spec = obj.spec as { chart: { spec: Record<string, unknown> }; values?: Record<string, unknown> };
      const wanted = { version, replicas };
      const current = {
        version: spec.chart.spec.version as string | undefined,
        replicas: (spec.values?.coder as { replicaCount?: number } | undefined)?.replicaCount ?? 1,
      };
      if ((hr.chartVersionVar || hr.replicasVar) && canonical(wanted) !== canonical(current)) {
        if (version !== undefined) spec.chart.spec.version = version;
        spec.values = { ...(spec.values ?? {}), coder: { replicaCount: replicas } };
        obj.metadata.generation = (obj.metadata.generation ?? 1) + 1;
        this.touch(obj);
        this.pendingSince.set(id, this.polls);
      }
      const upgradeFails = version !== undefined && (hr.failingVersions ?? []).includes(version);
      if (upgradeFails)
        failing.set(
          hr,
          `Helm upgrade failed for release ${id} with chart ${hr.name}@${version}: context deadline exceeded`,
        );
      const isDone =
        !hr.stuck && !upgradeFails && this.polls - (this.pendingSince.get(id) ?? 0) >= hr.readyAfterPolls;
      done.set(hr, isDone);
      const before = this.deployed.get(id);
      if (isDone && (before?.version !== version || before?.replicas !== replicas)) {
        this.deployed.set(id, { version, replicas });
        this.deployedLog.push({ at: Date.now(), seq: ++deployedSeq, release: id, version, replicas });
      }
      const stuckMessage = hr.stuck ?? failing.get(hr);
      this.setStatus(obj, {
        observedGeneration: obj.metadata.generation,
        ...(this.deployed.get(id)?.version
          ? {
              history: [
                { chartName: hr.name, chartVersion: this.deployed.get(id)?.version, status: 'deployed' },
              ],
            }
          : {}),
        conditions: [
          isDone
            ? ready(before ? 'Helm upgrade succeeded' : 'Helm install succeeded')
            : stuckMessage
              ? {
                  type: 'Ready',
                  status: 'False',
                  reason: hr.stuck ? 'InstallFailed' : 'UpgradeFailed',
                  message: stuckMessage,
                }
              : {
                  type: 'Ready',
                  status: 'Unknown',
                  reason: 'Progressing',
                  message: `Running '${before ? 'upgrade' : 'install'}' action`,
                },
        ],
      });
    }
    const stuckRelease = releases.find((hr) => hr.stuck || failing.has(hr));
    const stuck = stuckRelease ? { namespace: stuckRelease.namespace, name: stuckRelease.name } : undefined;
    const allReady = releases.every((hr) => done.get(hr));
    for (const name of ['infra-controllers', 'infra-configs', 'apps']) {
      let k = this.get('Kustomization', name, 'flux-system');
      if (!k) {
        const r = this.resources().find((x) => x.kind === 'Kustomization') as Resource;
        k = this.put(this.key(r, 'flux-system', name), {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          metadata: { name, namespace: 'flux-system' },
          spec: { sourceRef: { kind: 'GitRepository', name: 'flux-system' }, path: `./gitops/${name}` },
        });
      }
      this.setStatus(k, {
        observedGeneration: k.metadata.generation,
        ...(allReady ? { lastAppliedRevision: revision } : {}),
        conditions: [
          allReady
            ? ready(`Applied revision: ${revision}`)
            : stuck
              ? {
                  type: 'Ready',
                  status: 'False',
                  reason: 'HealthCheckFailed',
                  message: `health check failed: HelmRelease/${stuck.namespace}/${stuck.name} status: 'Failed'`,
                }
              : {
                  type: 'Ready',
                  status: 'Unknown',
                  reason: 'Progressing',
                  message: 'Reconciliation in progress',
                },
        ],
      });
    }
  }
}

/** Without server-set fields (resourceVersion, uid, generation, creationTimestamp, status). */
function strip(o: Obj): Obj {
  const { resourceVersion: _rv, uid: _uid, generation: _g, creationTimestamp: _c, ...metadata } = o.metadata;
  const { status: _s, ...rest } = o;
  return { ...rest, metadata: metadata as Obj['metadata'] };
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (isMap(a) && isMap(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in a ? deepMerge(a[k], v) : v;
    return out;
  }
  return b;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** JSON with sorted keys, for comparing objects. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isMap(val) ? Object.fromEntries(Object.entries(val).sort(([x], [y]) => x.localeCompare(y))) : val,
  );
}
