import { spawnSync, execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chartFiles, type ChartSpec } from './chart-repo.js';
import { testHelm } from './helm-binary.js';
import type { OciRegistry } from './oci-registry.js';
import { REPO_ROOT } from './run-action.js';

/*
 * Charts and gitops/ additions for the plan's chart-rendering tests: a `web` chart whose 1.1.0 changes
 * its Deployment (image, a port) and adds a CRD, a `jobs` chart for the OCI registry, pushed with helm 4,
 * and the Flux objects (HelmRepository / OCIRepository + HelmRelease) added to a copy of gitops/.
 */

export function webChart(version: string, extra: Partial<ChartSpec> = {}): ChartSpec {
  const deployment = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    'spec:',
    '  replicas: {{ .Values.replicaCount }}',
    '  selector:',
    '    matchLabels: { app: web }',
    '  template:',
    '    metadata:',
    '      labels: { app: web }',
    '      {{- with .Values.podAnnotations }}',
    '      annotations: {{- toYaml . | nindent 8 }}',
    '      {{- end }}',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
    '          env:',
    '            - name: CLUSTER',
    '              value: {{ .Values.clusterName | quote }}',
    version === '1.0.0' ? '' : '          ports: [{ name: http, containerPort: 8080 }]',
    '',
  ].join('\n');
  return {
    name: 'web',
    version,
    values: {
      replicaCount: 1,
      image: { repository: 'registry.example.test/web', tag: version },
      clusterName: '',
      podAnnotations: {},
      nodeSelector: {},
      env: [],
    },
    templates: { 'deployment.yaml': deployment },
    ...extra,
  };
}

export const WIDGET_CRD = [
  'apiVersion: apiextensions.k8s.io/v1',
  'kind: CustomResourceDefinition',
  'metadata: { name: widgets.example.test }',
  'spec:',
  '  group: example.test',
  '  names: { kind: Widget, plural: widgets, singular: widget }',
  '  scope: Namespaced',
  '  versions:',
  '    - name: v1',
  '      served: true',
  '      storage: true',
  '      schema: { openAPIV3Schema: { type: object } }',
  '',
].join('\n');

export function jobsChart(schedule: string): ChartSpec {
  return {
    name: 'jobs',
    version: '2.0.0',
    values: { schedule },
    templates: {
      'cronjob.yaml': [
        'apiVersion: batch/v1',
        'kind: CronJob',
        'metadata: { name: {{ .Release.Name }} }',
        'spec:',
        '  schedule: {{ .Values.schedule | quote }}',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        spec:',
        '          restartPolicy: Never',
        '          containers: [{ name: job, image: "registry.example.test/jobs:2.0.0" }]',
        '',
      ].join('\n'),
    },
  };
}

/** `helm package` + `helm push` of a chart written from `spec` (what a chart author does). */
export function helmPush(registry: OciRegistry, spec: ChartSpec, work: string): string {
  const dir = mkdtempSync(path.join(work, 'pkg-'));
  for (const f of chartFiles(spec)) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content);
  }
  const env = {
    ...process.env,
    HELM_CACHE_HOME: path.join(work, 'hc'),
    HELM_CONFIG_HOME: path.join(work, 'hcfg'),
  };
  execFileSync(testHelm(), ['package', path.join(dir, spec.name), '-d', dir], { env });
  const pushed = spawnSync(
    testHelm(),
    [
      'push',
      path.join(dir, `${spec.name}-${spec.version}.tgz`),
      `oci://${registry.host}/charts`,
      '--plain-http',
    ],
    { env, encoding: 'utf8' },
  );
  if (pushed.status !== 0) throw new Error(`helm push failed: ${pushed.stderr}`);
  // helm prints the digest on stderr or stdout depending on the version.
  const out = `${pushed.stdout}\n${pushed.stderr}`;
  return /Digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
}

export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export function copyGitops(to: string): string {
  const dir = path.join(to, 'gitops');
  cpSync(path.join(REPO_ROOT, 'gitops'), dir, { recursive: true });
  return dir;
}

export function allow(gitopsDir: string, entries: string[]): void {
  const file = path.join(gitopsDir, 'platform.yaml');
  const text = readFileSync(file, 'utf8');
  writeFileSync(
    file,
    text.replace(/^allowedSources:\n/m, `allowedSources:\n${entries.map((e) => `  - ${e}\n`).join('')}`),
  );
}

export function addController(gitopsDir: string, file: string, yaml: string): void {
  const dir = path.join(gitopsDir, 'infrastructure', 'controllers');
  writeFileSync(path.join(dir, file), yaml);
  const kustomization = path.join(dir, 'kustomization.yaml');
  // Written again (the head of a pull request): listed once.
  if (!readFileSync(kustomization, 'utf8').includes(`  - ${file}\n`))
    appendFileSync(kustomization, `  - ${file}\n`);
}

export function helmRepository(name: string, url: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: ${name}
  namespace: kube-system
spec:
  interval: 12h
  url: ${url}
`;
}

export function helmRelease(
  name: string,
  chart: string,
  version: string,
  source: string,
  values: string,
): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: kube-system
spec:
  interval: 30m
  chart:
    spec:
      chart: ${chart}
      version: "${version}"
      sourceRef:
        kind: HelmRepository
        name: ${source}
  install:
    remediation:
      retries: 3
  upgrade:
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
${values}`;
}

export function ociRelease(url: string, digest: string, schedule: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: jobs
  namespace: kube-system
spec:
  interval: 12h
  url: ${url}
  insecure: true
  ref:
    tag: "2.0.0"
    digest: ${digest}
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: jobs
  namespace: kube-system
spec:
  interval: 30m
  chartRef:
    kind: OCIRepository
    name: jobs
  install:
    remediation:
      retries: 3
  upgrade:
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
    schedule: "${schedule}"
`;
}
