import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { buildTarGz, type TarFile } from './tar-gz.js';

/**
 * A Helm chart repository over plain HTTP on loopback, as `helm repo index` + a static web server make
 * one: `index.yaml` and `<name>-<version>.tgz` files served from a temp dir. The charts are real Helm
 * archives (gzip'd tar, `<name>/Chart.yaml`, `<name>/values.yaml`, `<name>/templates/*`), and the index
 * entries carry what Helm writes (helm/pkg/repo/v1/index.go: `apiVersion: v1`, `entries.<name>[]` newest
 * first with the chart's metadata, `digest` = hex SHA-256 of the .tgz, `urls`, `created`; `generated`).
 *
 * Not modelled: authentication, provenance files (.prov), chart dependencies, and Helm's semver sort
 * beyond "the last added first".
 */

export interface ChartSpec {
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  /** values.yaml as an object (dumped as YAML) or as the file's text. */
  values?: Record<string, unknown> | string;
  /** Files under templates/, by file name (`deployment.yaml`). Default: one ConfigMap. */
  templates?: Record<string, string>;
  /** Further files at the chart's root (`crds/x.yaml`, `README.md`). */
  files?: Record<string, string>;
}

/** One `entries.<name>[]` item of index.yaml, as Helm writes it. */
export interface ChartIndexEntry {
  apiVersion: 'v2';
  name: string;
  version: string;
  appVersion?: string;
  description: string;
  type: 'application';
  created: string;
  digest: string;
  urls: string[];
}

export interface ChartRepo {
  /** Base URL without a trailing slash (`http://127.0.0.1:PORT`), a HelmRepository's `spec.url`. */
  url: string;
  dir: string;
  /** Package the chart into the repository and add it to index.yaml; returns its index entry. */
  addChart(spec: ChartSpec): Promise<ChartIndexEntry>;
  /** Replace index.yaml with this text (a broken or oversized index). */
  writeIndex(text: string): Promise<void>;
  /** Paths requested, in order (`/index.yaml`, `/karpenter-1.14.1.tgz`). */
  readonly requests: string[];
  stop(): Promise<void>;
}

export interface StartChartRepoOptions {
  /** Index URLs relative to the repository (`karpenter-1.14.1.tgz`), as `helm repo index` without `--url`. */
  relativeUrls?: boolean;
}

/** The chart's files as `helm package` lays them out (everything under `<name>/`). */
export function chartFiles(spec: ChartSpec): TarFile[] {
  const chartYaml = dump(
    {
      apiVersion: 'v2',
      name: spec.name,
      description: spec.description ?? `${spec.name} chart for tests`,
      type: 'application',
      version: spec.version,
      ...(spec.appVersion ? { appVersion: spec.appVersion } : {}),
    },
    { lineWidth: -1 },
  );
  const values = typeof spec.values === 'string' ? spec.values : dump(spec.values ?? {}, { lineWidth: -1 });
  const templates = spec.templates ?? {
    'configmap.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      'data:',
      '  version: {{ .Chart.Version | quote }}',
      '',
    ].join('\n'),
  };
  return [
    { path: `${spec.name}/Chart.yaml`, content: chartYaml },
    { path: `${spec.name}/values.yaml`, content: values },
    ...Object.entries(templates).map(([file, content]) => ({
      path: `${spec.name}/templates/${file}`,
      content,
    })),
    ...Object.entries(spec.files ?? {}).map(([file, content]) => ({ path: `${spec.name}/${file}`, content })),
  ];
}

/** The chart as a Helm archive (.tgz). */
export function buildChartArchive(spec: ChartSpec): Buffer {
  return buildTarGz(chartFiles(spec));
}

/** Start a chart repository on a free loopback port; `stop()` closes it and removes its dir. */
export async function startChartRepo(opts: StartChartRepoOptions = {}): Promise<ChartRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'chart-repo-'));
  const requests: string[] = [];
  const entries = new Map<string, ChartIndexEntry[]>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const file = path.slice(1);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (!/^[A-Za-z0-9._+-]+$/.test(file) || file.startsWith('.')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    readFile(join(dir, file)).then(
      (body) => {
        const type = file.endsWith('.yaml') ? 'application/x-yaml' : 'application/x-tar';
        res.writeHead(200, { 'content-type': type, 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const writeIndexFile = async () => {
    const index = {
      apiVersion: 'v1',
      entries: Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b))),
      generated: new Date().toISOString(),
    };
    await writeFile(join(dir, 'index.yaml'), dump(index, { lineWidth: -1 }));
  };
  await writeIndexFile();

  return {
    url,
    dir,
    requests,
    async addChart(spec) {
      const archive = buildChartArchive(spec);
      const file = `${spec.name}-${spec.version}.tgz`;
      await writeFile(join(dir, file), archive);
      const entry: ChartIndexEntry = {
        apiVersion: 'v2',
        name: spec.name,
        version: spec.version,
        ...(spec.appVersion ? { appVersion: spec.appVersion } : {}),
        description: spec.description ?? `${spec.name} chart for tests`,
        type: 'application',
        created: new Date().toISOString(),
        digest: createHash('sha256').update(archive).digest('hex'),
        urls: [opts.relativeUrls ? file : `${url}/${file}`],
      };
      const list = (entries.get(spec.name) ?? []).filter((e) => e.version !== spec.version);
      entries.set(spec.name, [entry, ...list]);
      await writeIndexFile();
      return entry;
    },
    async writeIndex(text) {
      await writeFile(join(dir, 'index.yaml'), text);
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
