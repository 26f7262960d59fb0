import path from 'node:path';
import { diffFlux } from '../../src/plan/flux-diff.js';
import { renderRegion } from '../../src/gitops/render-flux.js';
import { assessFlux } from '../../src/review/risk-rules.js';
import type { FluxObjectChange } from '../../src/plan/plan-types.js';

const fixtures = path.resolve('test/fixtures');
const baseDir = path.join(fixtures, 'flux-base/gitops');
const headDir = path.join(fixtures, 'flux-head/gitops');
const vars = {
  region: 'us-west-2',
  domain: 'example.test',
  cluster_name: 'demo-us-west-2',
  database_endpoint: 'db.internal',
};

function find(changes: FluxObjectChange[], kind: string, name: string): FluxObjectChange {
  const c = changes.find((x) => x.kind === kind && x.name === name);
  if (!c)
    throw new Error(`no change for ${kind} ${name}: ${changes.map((x) => `${x.kind}/${x.name}`).join(', ')}`);
  return c;
}

describe('diffFlux on fixture trees', () => {
  let changes: FluxObjectChange[];
  beforeAll(async () => {
    changes = await diffFlux({ baseDir, headDir, region: 'us-west-2', baseVars: vars, headVars: vars });
  });

  it('shows a HelmRelease chart bump with its version', () => {
    const c = find(changes, 'HelmRelease', 'metrics-server');
    expect(c.action).toBe('changed');
    expect(c.kustomization).toBe('infra-controllers');
    expect(c.chart).toEqual({ name: 'metrics-server', from: '3.12.1', to: '3.13.0' });
    expect(c.fields).toEqual([{ path: 'spec.chart.spec.version', before: '3.12.1', after: '3.13.0' }]);
  });

  it('shows values changes and image changes inside a HelmRelease', () => {
    const c = find(changes, 'HelmRelease', 'coder');
    expect(c.chart).toEqual({ name: 'coder', from: '2.27.1', to: '3.0.0' });
    expect(c.fields).toContainEqual({
      path: 'spec.values.coder.image.tag',
      before: 'v2.27.1',
      after: 'v2.28.0',
    });
    expect(c.images).toEqual([{ from: '(chart default):v2.27.1', to: '(chart default):v2.28.0' }]);
  });

  it('shows container image changes and immutable selector changes of a Deployment', () => {
    const c = find(changes, 'Deployment', 'coder-provisioner');
    expect(c.images).toEqual([{ from: 'ghcr.io/coder/coder:v2.27.1', to: 'ghcr.io/coder/coder:v2.28.0' }]);
    expect(c.fields.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'spec.selector.matchLabels.app',
        'spec.template.spec.containers[name=provisioner].image',
      ]),
    );
  });

  it('marks removals with whether the owning Kustomization prunes them', () => {
    const dns = find(changes, 'HelmRelease', 'external-dns');
    expect(dns).toMatchObject({ action: 'removed', prunes: true, kustomization: 'infra-controllers' });
    const cm = find(changes, 'ConfigMap', 'legacy-settings');
    expect(cm).toMatchObject({ action: 'removed', prunes: false, kustomization: 'infra-configs' });
  });

  it('shows additions with their chart', () => {
    const k = find(changes, 'HelmRelease', 'karpenter');
    expect(k.action).toBe('added');
    expect(k.chart).toEqual({ name: 'karpenter', to: '1.6.3' });
    // Added objects list only what a reviewer must see: this one arrives suspended.
    expect(k.fields).toEqual([{ path: 'spec.suspend', after: 'true' }]);
  });

  it('feeds the risk rules: prune deletion, immutable selector, chart major, added suspended', () => {
    const findings = assessFlux(changes).map((f) => `${f.level} ${f.rule} ${f.subject}`);
    expect(findings).toEqual(
      expect.arrayContaining([
        'high prune-deletion HelmRelease kube-system/external-dns',
        'high immutable-field Deployment coder/coder-provisioner',
        'medium chart-major-bump HelmRelease coder/coder',
        'high suspend-flip HelmRelease kube-system/karpenter',
      ]),
    );
    expect(findings.some((f) => f.includes('legacy-settings'))).toBe(false);
  });

  it('leaves unchanged objects out', () => {
    expect(changes.find((c) => c.kind === 'Namespace')).toBeUndefined();
    expect(changes.find((c) => c.kind === 'StorageClass')).toBeUndefined();
  });

  it('treats a region missing at base as all added', async () => {
    const out = await diffFlux({
      baseDir,
      headDir,
      region: 'eu-west-2',
      baseVars: {},
      headVars: { ...vars, region: 'eu-west-2' },
    });
    expect(out.length).toBeGreaterThan(3);
    expect(out.every((c) => c.action === 'added')).toBe(true);
    expect(out.map((c) => `${c.kind}/${c.name}`)).toEqual(
      expect.arrayContaining(['HelmRelease/coder', 'Kustomization/apps']),
    );
  });

  it('shows a changed cluster variable as a field change', async () => {
    const out = await diffFlux({
      baseDir: headDir,
      headDir,
      region: 'us-west-2',
      baseVars: vars,
      headVars: { ...vars, database_endpoint: undefined },
    });
    expect(out).toHaveLength(1);
    expect(out[0]!.fields).toEqual([
      {
        path: 'spec.values.coder.env[name=CODER_PG_HOST].value',
        before: 'db.internal',
        after: '<known after apply: database_endpoint>',
      },
    ]);
  });
});

describe('renderRegion', () => {
  it('substitutes only where postBuild asks for it, and follows Flux precedence', async () => {
    const objects = await renderRegion(headDir, 'us-west-2', vars);
    const byName = (n: string, kind?: string) =>
      objects.find((o) => o.object.metadata.name === n && (!kind || o.object.kind === kind))!;
    const coder = byName('coder', 'HelmRelease').object as unknown as {
      spec: { values: { coder: { replicaCount: unknown; env: { value: string }[] } } };
    };
    expect(coder.spec.values.coder.replicaCount).toBe(2);
    expect(coder.spec.values.coder.env[0]!.value).toBe('https://us-west-2.example.test');
    // infra-configs has no postBuild: its `${…}` reach the cluster untouched.
    expect(
      (byName('gp3').object as unknown as { parameters: Record<string, string> }).parameters
        .tagSpecification_1,
    ).toBe('cluster=${cluster_name}');
    const karpenter = byName('karpenter').object as unknown as {
      spec: { values: { settings: Record<string, string> } };
    };
    expect(karpenter.spec.values.settings).toEqual({
      clusterName: 'demo-us-west-2',
      interruptionQueue: '${not_a_var}',
    });
    expect(byName('flux-system').kustomization).toBe('flux-system');
  });

  it('names the Kustomization when its path does not exist', async () => {
    const os = await import('node:os');
    const fs = await import('node:fs/promises');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flux-bad-'));
    await fs.mkdir(path.join(dir, 'gitops/clusters/r1'), { recursive: true });
    await fs.writeFile(
      path.join(dir, 'gitops/clusters/r1/apps.yaml'),
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec: {path: ./gitops/apps/nowhere, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n',
    );
    await expect(renderRegion(path.join(dir, 'gitops'), 'r1', {})).rejects.toThrow(
      /^gitops\/clusters\/r1\/apps\.yaml .*spec\.path '\.\/gitops\/apps\/nowhere' is not a folder/,
    );
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('fails like Flux on a non-Kubernetes YAML file in a folder without kustomization.yaml', async () => {
    const os = await import('node:os');
    const fs = await import('node:fs/promises');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flux-bad-'));
    await fs.mkdir(path.join(dir, 'gitops/clusters/r1'), { recursive: true });
    await fs.writeFile(path.join(dir, 'gitops/clusters/r1/region.yaml'), 'region: r1\nenabled: true\n');
    await expect(renderRegion(path.join(dir, 'gitops'), 'r1', {})).rejects.toThrow(
      /gitops\/clusters\/r1.*kustomize build of 'clusters\/r1' failed/,
    );
    await fs.rm(dir, { recursive: true, force: true });
  });
});
