import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalCa } from '../../src/sandbox/local-ca.js';
import {
  addController,
  allow,
  closedPort,
  copyGitops,
  helmRelease,
  helmRepository,
  webChart,
  WIDGET_CRD,
} from '../helpers/chart-gitops.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { testHelm } from '../helpers/helm-binary.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { startTlsProxy, type TlsProxy } from '../helpers/tls-proxy.js';

// The bundled plan-region action, as a runner runs it, on a pull request that bumps a chart served by a
// local chart repository (behind TLS from a local CA the process trusts through NODE_EXTRA_CA_CERTS):
// the job summary shows the rendered Deployment diff, the unknown values key, and the source the pull
// request adds is flagged and never fetched.

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

describe('plan-region renders the charts a pull request changes', () => {
  let tmp: string;
  let repo: ChartRepo;
  let trap: ChartRepo;
  let repoTls: TlsProxy;
  let trapTls: TlsProxy;
  let run: ActionRun;
  let gonePort: number;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'plan-region-charts-'));
    [repo, trap, gonePort] = await Promise.all([
      startChartRepo({ relativeUrls: true }),
      startChartRepo({ relativeUrls: true }),
      closedPort(),
    ]);
    const ca = await createLocalCa(path.join(tmp, 'ca'));
    [repoTls, trapTls] = await Promise.all([
      startTlsProxy(ca, repo.url, 'repo'),
      startTlsProxy(ca, trap.url, 'trap'),
    ]);
    await repo.addChart(webChart('1.0.0'));
    await repo.addChart(webChart('1.1.0', { files: { 'crds/widgets.yaml': WIDGET_CRD } }));
    await trap.addChart(webChart('1.0.0'));
    const gone = `https://localhost:${gonePort}`;

    const dir = path.join(tmp, 'repo');
    const gitops = copyGitops(dir);
    allow(gitops, [repoTls.url, gone]);
    addController(
      gitops,
      'web.yaml',
      `${helmRepository('web', repoTls.url)}---\n${helmRelease('web', 'web', '1.0.0', 'web', '    replicaCount: 2\n')}`,
    );
    addController(
      gitops,
      'gone.yaml',
      `${helmRepository('gone', gone)}---\n${helmRelease('gone', 'web', '1.0.0', 'gone', '    replicaCount: 1\n')}`,
    );
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'main');
    const base = git(dir, 'rev-parse', 'HEAD');
    allow(gitops, [trapTls.url]);
    addController(
      gitops,
      'web.yaml',
      `${helmRepository('web', repoTls.url)}---\n${helmRelease('web', 'web', '1.1.0', 'web', '    replicaCount: 2\n    replicaCout: 3\n')}`,
    );
    addController(
      gitops,
      'gone.yaml',
      `${helmRepository('gone', gone)}---\n${helmRelease('gone', 'web', '1.0.0', 'gone', '    replicaCount: 2\n')}`,
    );
    addController(
      gitops,
      'trapped.yaml',
      `${helmRepository('trap', trapTls.url)}---\n${helmRelease('trapped', 'web', '1.0.0', 'trap', '    replicaCount: 1\n')}`,
    );
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'web 1.1.0');
    const head = git(dir, 'rev-parse', 'HEAD');

    run = await runAction({
      action: 'plan-region',
      cwd: dir,
      eventName: 'pull_request',
      event: {
        action: 'synchronize',
        number: 7,
        pull_request: {
          number: 7,
          head: { sha: head, ref: 'web', repo: { full_name: 'outsider/coderdemo-gitops', fork: true } },
          base: { sha: base, ref: 'main', repo: { full_name: 'coder/coderdemo-gitops', fork: false } },
        },
      },
      inputs: { region: 'us-east-2', comment: 'false', 'gitops-dir': 'gitops', helm: testHelm() },
      env: {
        GITHUB_SHA: head,
        GITHUB_REF: 'refs/pull/7/merge',
        NODE_EXTRA_CA_CERTS: ca.certFile,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      timeoutMs: 240_000,
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all([repoTls?.stop(), trapTls?.stop()]);
    await Promise.all([repo?.stop(), trap?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints the helm it uses and completes the plan', () => {
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stdout).toMatch(/helm v4\.\d+\.\d+ \(.*helm\) renders the charts a pull request changes/);
  });

  it('shows the rendered Deployment diff of the chart bump in the job summary', () => {
    expect(run.summary).toContain('**Rendered charts**');
    expect(run.summary).toContain('Rendered `HelmRelease kube-system/web`: `web 1.0.0` → `web 1.1.0`');
    expect(run.summary).toContain(
      '-   spec.template.spec.containers[name=web].image: registry.example.test/web:1.0.0',
    );
    expect(run.summary).toContain(
      '+   spec.template.spec.containers[name=web].image: registry.example.test/web:1.1.0',
    );
    expect(run.summary).toContain('**CRDs:** `widgets.example.test (added)`');
  });

  it('flags the values key the chart does not have', () => {
    expect(run.summary).toContain(
      '**unknown-values-key** (us-east-2) `HelmRelease kube-system/web`: values key replicaCout is not in the values.yaml of chart web 1.1.0: Helm ignores it',
    );
  });

  it('refuses to fetch the source the pull request adds, and warns about the unreachable one by name', () => {
    expect(trap.requests).toEqual([]);
    expect(run.summary).toMatch(
      /\*\*chart-source-not-allowed\*\* \(us-east-2\) `HelmRelease kube-system\/trapped`: chart not rendered: chart source HelmRepository kube-system\/trap \(https:\/\/localhost:\d+\) is not allow-listed/,
    );
    expect(run.summary).toContain(
      `**chart-source-unreachable** (us-east-2) \`HelmRelease kube-system/gone\`: chart not rendered: chart source HelmRepository kube-system/gone (https://localhost:${gonePort}) unreachable`,
    );
    const report = JSON.parse(readFileSync(run.outputs['report-file']!, 'utf8')) as {
      regions: { charts?: { releases: { release: string; problem?: string }[] } }[];
    };
    expect(report.regions[0]!.charts!.releases.map((r) => [r.release, r.problem ?? 'rendered'])).toEqual([
      ['kube-system/gone', 'unreachable'],
      ['kube-system/trapped', 'not-allowed'],
      ['kube-system/web', 'rendered'],
    ]);
  });
});
