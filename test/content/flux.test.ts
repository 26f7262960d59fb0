/**
 * Content checks of the Flux side of gitops/: every path builds with `kubectl kustomize`, every
 * object validates against its model (Kubernetes and Flux) or at least has an identity (CRDs without
 * a model), every `${var}` has a source in every region, charts are pinned with remediation, and the
 * mistakes of the original repository (kubernetes.sh/ labels, a post-install patch) stay out.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { load } from 'js-yaml';
import {
  clusterDirs,
  fluxVars,
  hasTool,
  kustomize,
  listFiles,
  readPlatform,
  readRegions,
  REPO_DIR,
  type K8sObject,
} from './gitops-content.js';

const kubectl = hasTool('kubectl', ['version', '--client']);
const regions = readRegions();
const platform = readPlatform() as unknown as { github: { repository: string } };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are read as free-form data
type Loose = any;

const EXACT_VERSION = /^v?\d+\.\d+\.\d+$/;

/** Model modules by apiVersion; CRDs not listed here are checked for identity only. */
async function modelFor(
  apiVersion: string,
  kind: string,
): Promise<(new (o: unknown) => { validate(): void }) | null> {
  const fluxGroups = ['source.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io'];
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  let mod: Record<string, unknown>;
  if (fluxGroups.includes(group))
    mod = (await import(`@kubernetes-models/flux-cd/${apiVersion}`)) as Record<string, unknown>;
  else if (
    group === '' ||
    group.endsWith('.k8s.io') ||
    ['apps', 'batch', 'policy', 'autoscaling'].includes(group)
  )
    mod = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
  else return null;
  const model = mod[kind];
  if (typeof model !== 'function') throw new Error(`no model for ${apiVersion} ${kind}`);
  return model as new (o: unknown) => { validate(): void };
}

(kubectl || process.env.CI === 'true' ? describe : describe.skip)('Flux paths', () => {
  const clusters = clusterDirs();
  const built = new Map<string, K8sObject[]>();
  const texts = new Map<string, string>();

  function build(dir: string): K8sObject[] {
    if (!built.has(dir)) {
      const { objects, text } = kustomize(dir);
      built.set(dir, objects);
      texts.set(dir, text);
    }
    return built.get(dir)!;
  }

  /** Folders the regions' Kustomizations point at, besides clusters/<region> itself. */
  function fluxPaths(): string[] {
    const paths = new Set<string>();
    for (const c of clusters) {
      for (const o of build(c)) {
        if (o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) {
          paths.add(String(o.spec?.path).replace(/^\.\//, ''));
        }
      }
    }
    // The flux-system Kustomization points back at clusters/<region>, built on its own.
    return [...paths].filter((p) => !p.startsWith('gitops/clusters/')).sort();
  }

  it('every region with a region file has a cluster folder and the other way round', () => {
    expect(clusters.map((c) => basename(c))).toEqual(regions.map((r) => r.region).sort());
  });

  it.each(clusterDirs().map((c) => [c]))(
    '%s syncs itself, then infra-controllers → infra-configs → apps',
    (dir) => {
      const region = basename(dir);
      const objects = build(dir);
      const byKindName = (kind: string, name: string) =>
        objects.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject & {
          spec: Record<string, Loose>;
        };

      expect(objects.every((o) => o.apiVersion.includes('toolkit.fluxcd.io'))).toBe(true);
      const repo = byKindName('GitRepository', 'flux-system');
      expect(repo.spec).toMatchObject({ ref: { branch: 'main' }, secretRef: { name: 'flux-system' } });
      expect(repo.spec.url).toBe(`https://github.com/${platform.github.repository}`);
      expect(repo.spec).not.toHaveProperty('path');
      expect(byKindName('Kustomization', 'flux-system').spec.path).toBe(`./gitops/clusters/${region}`);

      const controllers = byKindName('Kustomization', 'infra-controllers');
      const configs = byKindName('Kustomization', 'infra-configs');
      const apps = byKindName('Kustomization', 'apps');
      expect(controllers.spec.wait).toBe(true);
      expect(configs.spec.dependsOn).toEqual([{ name: 'infra-controllers' }]);
      expect(apps.spec.dependsOn).toEqual([{ name: 'infra-configs' }]);
      for (const k of [controllers, configs, apps]) {
        expect(k.spec.path).toMatch(/^\.\/gitops\//);
        expect(k.spec.postBuild).toEqual({ substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }] });
      }
    },
  );

  it('every path builds, and every YAML file in its folders is listed in a kustomization.yaml', () => {
    const paths = fluxPaths();
    expect(paths).toEqual([
      'gitops/apps/base',
      'gitops/infrastructure/configs',
      'gitops/infrastructure/controllers',
    ]);
    // Flux only generates a kustomization for folders without one; ours are explicit, so a file
    // missing from `resources` would silently not be applied.
    for (const dir of [...paths, ...clusters]) {
      build(dir);
      for (const file of listFiles(dir).filter(
        (f) => /\.ya?ml$/.test(f) && basename(f) !== 'kustomization.yaml',
      )) {
        const k = load(readFileSync(join(REPO_DIR, dirname(file), 'kustomization.yaml'), 'utf8')) as {
          resources: string[];
        };
        const listed = k.resources.includes(basename(file));
        expect({ file, listed }).toEqual({ file, listed: true });
      }
    }
  });

  it('every object validates against its Kubernetes or Flux model, or has an identity', async () => {
    const dirs = [...clusters, ...fluxPaths()];
    let validated = 0;
    for (const dir of dirs) {
      for (const o of build(dir)) {
        expect({ dir, id: `${o.apiVersion} ${o.kind} ${o.metadata?.name}` }).toEqual({
          dir,
          id: expect.stringMatching(/^\S+\/?\S* [A-Z]\w+ [a-z0-9][a-z0-9.-]*$/),
        });
        const Model = await modelFor(o.apiVersion, o.kind);
        if (!Model) continue;
        try {
          new Model(o).validate();
          validated += 1;
        } catch (e) {
          throw new Error(`${dir}: ${o.kind}/${o.metadata.name} is invalid: ${(e as Error).message}`);
        }
      }
    }
    expect(validated).toBeGreaterThan(20);
  });

  it.each(readRegions().map((r) => [r.region, r]))(
    'every ${var} the manifests use has a source in %s, and every source is used',
    (_region, region) => {
      const used = new Set<string>();
      for (const dir of [...clusters, ...fluxPaths()]) {
        build(dir);
        for (const v of fluxVars(texts.get(dir)!)) used.add(v);
      }
      const declared = Object.keys(region.clusterVars);
      expect({ withoutSource: [...used].filter((v) => !declared.includes(v)).sort() }).toEqual({
        withoutSource: [],
      });
      expect({ unused: declared.filter((v) => !used.has(v)).sort() }).toEqual({ unused: [] });
      for (const v of declared) expect(v).toMatch(/^[a-z][a-z0-9_]*$/);
    },
  );

  // helm-controller corrects changes made by hand on the cluster only when asked (HelmRelease v2
  // spec.driftDetection.mode: enabled | warn | disabled, default disabled); apply-region reports what it corrected.
  it('every HelmRelease has helm-controller drift detection enabled', () => {
    const releases = fluxPaths()
      .flatMap((d) => build(d))
      .filter((o) => o.kind === 'HelmRelease') as (K8sObject & { spec: Record<string, Loose> })[];
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) {
      expect({ release: r.metadata.name, mode: r.spec.driftDetection?.mode }).toEqual({
        release: r.metadata.name,
        mode: 'enabled',
      });
    }
  });

  it('every HelmRelease pins its chart and sets install/upgrade remediation', () => {
    const objects = fluxPaths().flatMap((d) => build(d));
    const releases = objects.filter((o) => o.kind === 'HelmRelease') as (K8sObject & {
      spec: Record<string, Loose>;
    })[];
    expect(releases.length).toBe(8);
    const versions: Record<string, string> = {};
    for (const r of releases) {
      let version: string;
      if (r.spec.chartRef) {
        const src = objects.find(
          (o) => o.kind === r.spec.chartRef.kind && o.metadata.name === r.spec.chartRef.name,
        ) as K8sObject & { spec: Record<string, Loose> };
        expect(src.spec.ref.semver).toBeUndefined();
        version = src.spec.ref.tag;
      } else {
        version = r.spec.chart.spec.version;
      }
      expect({ release: r.metadata.name, version }).toEqual({
        release: r.metadata.name,
        version: expect.stringMatching(EXACT_VERSION),
      });
      versions[r.metadata.name] = version;
      expect(r.spec.install?.remediation?.retries).toBeGreaterThan(0);
      expect(r.spec.upgrade?.remediation?.retries).toBeGreaterThan(0);
    }
    expect(versions).toEqual({
      karpenter: expect.stringMatching(/^1\.\d+\.\d+$/),
      'aws-load-balancer-controller': '1.13.2',
      'aws-ebs-csi-driver': '2.22.1',
      'cert-manager': 'v1.18.2',
      'metrics-server': '3.13.0',
      'external-secrets': expect.stringMatching(EXACT_VERSION),
      coder: '2.27.1',
      'coder-provisioner': '2.27.1',
    });
    const certManager = releases.find((r) => r.metadata.name === 'cert-manager')!;
    expect(certManager.spec.values.crds.enabled).toBe(true);
  });

  it('Karpenter pools use karpenter.sh/capacity-type; workspaces take spot and on-demand', () => {
    const pools = build('gitops/infrastructure/configs').filter(
      (o) => o.kind === 'NodePool',
    ) as (K8sObject & {
      spec: Record<string, Loose>;
    })[];
    expect(pools.map((p) => p.metadata.name).sort()).toEqual([
      'coder-provisioner',
      'coder-server',
      'workspaces',
    ]);
    for (const p of pools) {
      expect(p.apiVersion).toBe('karpenter.sh/v1');
      const capacity = (p.spec.template.spec.requirements as { key: string; values: string[] }[]).find(
        (r) => r.key === 'karpenter.sh/capacity-type',
      );
      expect(capacity).toBeDefined();
      if (p.metadata.name === 'workspaces') expect(capacity!.values.sort()).toEqual(['on-demand', 'spot']);
    }
  });

  it('Coder gets its settings from env and its secrets only through secretKeyRef', () => {
    const coder = build('gitops/apps/base').find(
      (o) => o.kind === 'HelmRelease' && o.metadata.name === 'coder',
    ) as (K8sObject & { spec: Record<string, Loose> }) | undefined;
    const env = coder!.spec.values.coder.env as { name: string; value?: string; valueFrom?: unknown }[];
    const values = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    expect(values).toMatchObject({
      CODER_ACCESS_URL: '${coder_access_url}',
      CODER_WILDCARD_ACCESS_URL: '${coder_wildcard_access_url}',
      CODER_TLS_ENABLE: 'false',
      CODER_SECURE_AUTH_COOKIE: 'true',
      CODER_REDIRECT_TO_ACCESS_URL: 'false',
      CODER_DERP_SERVER_ENABLE: 'true',
      CODER_PROMETHEUS_ENABLE: 'true',
    });
    for (const name of [
      'CODER_PG_CONNECTION_URL',
      'CODER_OAUTH2_GITHUB_CLIENT_ID',
      'CODER_OAUTH2_GITHUB_CLIENT_SECRET',
    ]) {
      const e = env.find((x) => x.name === name);
      expect({ name, value: e?.value, secretKeyRef: Boolean((e?.valueFrom as Loose)?.secretKeyRef) }).toEqual(
        {
          name,
          value: undefined,
          secretKeyRef: true,
        },
      );
    }
  });

  it('the Coder Service is an internet-facing NLB with TLS on 443 and the tags apply-region looks for', () => {
    const svc = build('gitops/apps/base').find(
      (o) => o.kind === 'Service' && o.metadata.name === 'coder',
    ) as K8sObject & {
      spec: Record<string, Loose>;
    };
    expect(svc.metadata.namespace).toBe('coder');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'http', protocol: 'TCP' }]);
    const a = svc.metadata.annotations!;
    const p = 'service.beta.kubernetes.io/aws-load-balancer-';
    expect(a).toMatchObject({
      [`${p}type`]: 'external',
      [`${p}nlb-target-type`]: 'ip',
      [`${p}scheme`]: 'internet-facing',
      [`${p}ssl-cert`]: '${acm_certificate_arn}',
      [`${p}ssl-ports`]: '443',
      [`${p}backend-protocol`]: 'tcp',
    });
    expect(a[`${p}attributes`]).toContain('load_balancing.cross_zone.enabled=true');
    expect(a[`${p}target-group-attributes`]).toContain('preserve_client_ip.enabled=true');
    expect(a[`${p}additional-resource-tags`]).toContain('coder-gitops/region=${aws_region}');
  });
});
if (!kubectl && process.env.CI !== 'true') {
  it.skip('kubectl is not installed on this machine: Flux paths were NOT built', () => undefined);
}

describe('gitops/ as a whole', () => {
  const files = listFiles('gitops');

  it('never uses the kubernetes.sh/ typo of karpenter.sh/', () => {
    const offenders = files.filter((f) => readFileSync(join(REPO_DIR, f), 'utf8').includes('kubernetes.sh/'));
    expect(offenders).toEqual([]);
  });

  it('has no imperative patch step for what Helm installs', () => {
    const offenders = files.filter((f) => /kubectl\s+patch/.test(readFileSync(join(REPO_DIR, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
