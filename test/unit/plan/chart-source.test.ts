import { AllowedFetcher } from '../../../src/fetch/allowed-fetch.js';
import type { KubeObject } from '../../../src/gitops/render-flux.js';
import { HelmRunner } from '../../../src/helm/run-helm.js';
import { ChartFetcher, chartSourceOf, type ChartSource } from '../../../src/plan/chart-source.js';

// Where a HelmRelease's chart comes from, and what the plan refuses to fetch before any connection.

const repo: KubeObject = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'HelmRepository',
  metadata: { name: 'coder-v2', namespace: 'coder' },
  spec: { url: 'https://helm.coder.com/v2' },
};
const oci: KubeObject = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'OCIRepository',
  metadata: { name: 'karpenter', namespace: 'kube-system' },
  spec: {
    url: 'oci://public.ecr.aws/karpenter/karpenter',
    ref: { tag: '1.14.1', digest: `sha256:${'a'.repeat(64)}` },
  },
};
const release = (namespace: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name: 'x', namespace },
  spec,
});

describe('chartSourceOf', () => {
  it('reads chart.spec with a HelmRepository in the release namespace', () => {
    const r = release('coder', {
      chart: {
        spec: { chart: 'coder', version: '2.27.1', sourceRef: { kind: 'HelmRepository', name: 'coder-v2' } },
      },
    });
    expect(chartSourceOf(r, [repo])).toEqual({
      kind: 'HelmRepository',
      id: 'coder/coder-v2',
      url: 'https://helm.coder.com/v2',
      oci: false,
      insecure: false,
      chart: 'coder',
      version: '2.27.1',
    });
  });

  it('reads chartRef to an OCIRepository with its tag and digest', () => {
    const r = release('kube-system', { chartRef: { kind: 'OCIRepository', name: 'karpenter' } });
    expect(chartSourceOf(r, [oci])).toMatchObject({
      kind: 'OCIRepository',
      tag: '1.14.1',
      digest: `sha256:${'a'.repeat(64)}`,
    });
  });

  it('says why when the source is not among the region objects (another namespace)', () => {
    const r = release('other', {
      chart: { spec: { chart: 'coder', sourceRef: { kind: 'HelmRepository', name: 'coder-v2' } } },
    });
    expect(chartSourceOf(r, [repo])).toEqual({
      error: "HelmRepository coder-v2 is not among the region's Flux objects",
    });
  });
});

describe('ChartFetcher refusals (no request, no helm)', () => {
  const calls: string[] = [];
  const fetcher = new AllowedFetcher({
    allowList: ['oci://registry.example.test/charts', 'https://charts.example.test'],
    fetchImpl: (async (url: string) => {
      calls.push(url);
      throw new Error('no network in this test');
    }) as unknown as typeof fetch,
  });
  const helm = new HelmRunner('/nonexistent/helm');
  const charts = new ChartFetcher(fetcher, helm, '/nonexistent');

  it.each<[string, ChartSource, RegExp]>([
    [
      'a chart name that leaves the allowed registry path',
      {
        kind: 'HelmRepository',
        id: 'a/b',
        url: 'oci://registry.example.test/charts',
        oci: true,
        insecure: false,
        chart: '../../other',
        version: '1.0.0',
      },
      /chart name '\.\.\/\.\.\/other' is not a registry repository name/,
    ],
    [
      'a digest that is not sha256',
      {
        kind: 'OCIRepository',
        id: 'a/b',
        url: 'oci://registry.example.test/charts/x',
        insecure: false,
        digest: 'sha256:../../evil',
      },
      /ref\.digest 'sha256:\.\.\/\.\.\/evil' is not sha256:<64 hex>/,
    ],
    [
      'an index outside the allow-list',
      {
        kind: 'HelmRepository',
        id: 'a/b',
        url: 'https://elsewhere.example.test',
        oci: false,
        insecure: false,
        chart: 'c',
        version: '^1.0.0',
      },
      /not under any allowedSources entry/,
    ],
  ])('%s', async (_, source, message) => {
    const got = await charts.fetch(source);
    expect(got).toMatchObject({ ok: false, message: expect.stringMatching(message) });
    expect(calls).toEqual([]);
  });

  it('an OCI registry outside the allow-list is refused before helm runs', async () => {
    const got = await charts.fetch({
      kind: 'OCIRepository',
      id: 'a/b',
      url: 'oci://evil.example.test/charts/x',
      insecure: false,
      tag: '1.0.0',
    });
    expect(got).toMatchObject({ ok: false, problem: 'not-allowed' });
    expect(fetcher.records.at(-1)).toMatchObject({
      url: 'oci://evil.example.test/charts/x',
      outcome: 'not-allowed',
    });
  });
});
