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

  /** Folders a region's Kustomizations point at, besides clusters/<region> itself. */
  function regionPaths(cluster: string): string[] {
    const paths = new Set<string>();
    for (const o of build(cluster)) {
      if (o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) {
        paths.add(String(o.spec?.path).replace(/^\.\//, ''));
      }
    }
    // The flux-system Kustomization points back at clusters/<region>, built on its own.
    return [...paths].filter((p) => !p.startsWith('gitops/clusters/')).sort();
  }

  /** Folders any region's Kustomizations point at. */
  function fluxPaths(): string[] {
    return [...new Set(clusters.flatMap((c) => regionPaths(c)))].sort();
  }

  /**
   * Folders synced only when platform.yaml turns them on (apps/provisioners: with a Coder licence);
   * built and checked like the others so they do not rot while off.
   */
  const OPTIONAL_PATHS = ['gitops/apps/provisioners'];

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
      'gitops/apps/hub',
      'gitops/apps/provisioners',
      'gitops/apps/proxy',
      'gitops/infrastructure/configs',
      'gitops/infrastructure/controllers',
    ]);
    // Flux only generates a kustomization for folders without one; ours are explicit, so a file
    // missing from `resources` would silently not be applied.
    for (const dir of [...paths, ...OPTIONAL_PATHS, ...clusters]) {
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
    const dirs = [...clusters, ...fluxPaths(), ...OPTIONAL_PATHS];
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
    'every ${var} the manifests %s syncs use has a source, and every source is used',
    (region, spec) => {
      const varsOf = (dirs: string[]) => {
        const used = new Set<string>();
        for (const dir of dirs) {
          build(dir);
          for (const v of fluxVars(texts.get(dir)!)) used.add(v);
        }
        return used;
      };
      const cluster = `gitops/clusters/${region}`;
      const synced = varsOf([cluster, ...regionPaths(cluster)]);
      // Sources for an optional path stay declared while it is off, so turning it on is one edit.
      const optional = varsOf(OPTIONAL_PATHS);
      const declared = Object.keys(spec.clusterVars);
      expect({ withoutSource: [...synced].filter((v) => !declared.includes(v)).sort() }).toEqual({
        withoutSource: [],
      });
      expect({ unused: declared.filter((v) => !synced.has(v) && !optional.has(v)).sort() }).toEqual({
        unused: [],
      });
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
    const objects = [...new Set([...fluxPaths(), ...OPTIONAL_PATHS])].flatMap((d) => build(d));
    const releases = objects.filter((o) => o.kind === 'HelmRelease') as (K8sObject & {
      spec: Record<string, Loose>;
    })[];
    // Coder's server (apps/base) and its workspace proxy (apps/proxy) are both HelmRelease coder.
    expect(releases.length).toBe(9);
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
      // Coder's charts take the version apply-region writes per region, declared once in platform.yaml.
      const pinned =
        version === '${coder_version}'
          ? String((readPlatform() as unknown as { coder?: { version?: string } }).coder?.version)
          : version;
      expect({ release: r.metadata.name, version: pinned }).toEqual({
        release: r.metadata.name,
        version: expect.stringMatching(EXACT_VERSION),
      });
      versions[r.metadata.name] = version;
      expect(r.spec.install?.remediation?.retries).toBeGreaterThan(0);
      const coderServer =
        r.spec.chart?.spec?.chart === 'coder' && r.spec.values?.coder?.workspaceProxy !== true;
      if (coderServer) {
        // A failed Coder server upgrade is never remediated by a rollback (nor retried into one): the new
        // version may have migrated the shared schema, and Coder does not run an older version against it.
        // The release stays failed; apply-region's Coder upgrade step reports it and how to roll forward.
        expect({
          retries: r.spec.upgrade?.remediation?.retries ?? 0,
          last: r.spec.upgrade?.remediation?.remediateLastFailure ?? false,
        }).toEqual({ retries: 0, last: false });
      } else {
        expect(r.spec.upgrade?.remediation?.retries).toBeGreaterThan(0);
      }
    }
    expect(versions).toEqual({
      karpenter: expect.stringMatching(/^1\.\d+\.\d+$/),
      'aws-load-balancer-controller': '1.13.2',
      'aws-ebs-csi-driver': '2.22.1',
      'metrics-server': '3.13.0',
      reloader: '2.2.16',
      'external-secrets': expect.stringMatching(EXACT_VERSION),
      // Set per region by apply-region from platform.yaml coder.version (src/gitops/coder-version.ts).
      coder: '${coder_version}',
      'coder-provisioner': '${coder_version}',
    });
    // cert-manager was installed and used by nothing (ACM issues the NLB's certificate; Coder does not
    // terminate TLS): removed rather than kept idle with DNS-01 rights in the zone.
    expect(Object.keys(versions)).not.toContain('cert-manager');
  });

  it('external provisioners are synced exactly where a Coder licence is declared, after apps', () => {
    // enterprise/coderd/provisionerdaemons.go refuses external daemons without the licence feature.
    const license = (readPlatform() as unknown as { coder?: { license?: string } }).coder?.license ?? 'none';
    for (const cluster of clusters) {
      const provisioners = build(cluster).find(
        (o) => o.kind === 'Kustomization' && String(o.spec?.path) === './gitops/apps/provisioners',
      ) as (K8sObject & { spec: Record<string, Loose> }) | undefined;
      expect({ cluster, synced: Boolean(provisioners) }).toEqual({ cluster, synced: license !== 'none' });
      if (provisioners) expect(provisioners.spec.dependsOn).toEqual([{ name: 'apps' }]);
    }
    // Built-in daemons are a server's setting: the regions that run one (a proxy builds nothing itself).
    for (const r of regions.filter((x) => x.coder !== 'proxy')) {
      expect({ region: r.region, daemons: r.clusterVars.coder_provisioner_daemons }).toEqual({
        region: r.region,
        daemons: { field: 'coderProvisionerDaemons', type: 'integer' },
      });
    }
    // The key only a running Coder can issue is never a precondition of apps.
    const configs = build('gitops/infrastructure/configs');
    expect(configs.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata.name)).not.toContain(
      'coder-provisioner-key',
    );
  });

  it('no add-on Service waits on the load balancer controller’s fail-closed Service webhook', () => {
    // Chart 1.13.2: mservice.elbv2.k8s.aws matches every Service, failurePolicy Fail. Either it is off,
    // or every other HelmRelease of infra-controllers depends on the controller.
    const releases = build('gitops/infrastructure/controllers').filter(
      (o) => o.kind === 'HelmRelease',
    ) as (K8sObject & {
      spec: Record<string, Loose>;
    })[];
    const lbc = releases.find((r) => r.metadata.name === 'aws-load-balancer-controller')!;
    const others = releases.filter((r) => r !== lbc);
    const waiting = others.filter((r) =>
      ((r.spec.dependsOn ?? []) as { name: string }[]).some((d) => d.name === 'aws-load-balancer-controller'),
    );
    expect({
      webhookOff: lbc.spec.values.enableServiceMutatorWebhook === false,
      allWait: waiting.length === others.length,
    }).toEqual(
      expect.objectContaining(
        lbc.spec.values.enableServiceMutatorWebhook === false ? { webhookOff: true } : { allWait: true },
      ),
    );
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
      // The Route 53 health check's path (/api/v2/updatecheck) reads the database only with this on.
      CODER_UPDATE_CHECK: 'true',
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

  it('a rotated database password restarts Coder: the URL Secret refreshes and Reloader watches it', () => {
    const coder = build('gitops/apps/base').find(
      (o) => o.kind === 'HelmRelease' && o.metadata.name === 'coder',
    ) as K8sObject & {
      spec: Record<string, Loose>;
    };
    expect(coder.spec.values.coder.annotations).toEqual({
      'secret.reloader.stakater.com/reload': 'coder-db-url',
    });
    const url = build('gitops/infrastructure/configs').find(
      (o) => o.kind === 'ExternalSecret' && o.metadata.name === 'coder-db-url',
    ) as K8sObject & { spec: Record<string, Loose> };
    expect(url.spec.target.name).toBe('coder-db-url');
    expect(url.spec.refreshInterval).toBe('5m');
    expect(
      build('gitops/infrastructure/controllers').some(
        (o) => o.kind === 'HelmRelease' && o.metadata.name === 'reloader',
      ),
    ).toBe(true);
  });

  it('only the hub syncs LiteLLM, after the secret store, with its secrets through External Secrets', () => {
    const hub = (readPlatform() as unknown as { hubRegion: string }).hubRegion;
    for (const cluster of clusters) {
      expect({ cluster, litellm: regionPaths(cluster).includes('gitops/apps/hub') }).toEqual({
        cluster,
        litellm: cluster === `gitops/clusters/${hub}`,
      });
    }
    const hubApps = build(`gitops/clusters/${hub}`).find(
      (o) => o.kind === 'Kustomization' && o.metadata.name === 'hub-apps',
    ) as K8sObject & { spec: Record<string, Loose> };
    expect(hubApps.spec.dependsOn).toEqual([{ name: 'infra-configs' }]);
    const objects = build('gitops/apps/hub');
    const deployment = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'litellm',
    ) as K8sObject & {
      spec: Record<string, Loose>;
    };
    const env = deployment.spec.template.spec.containers[0].env as {
      name: string;
      value?: string;
      valueFrom?: Loose;
    }[];
    for (const name of ['DATABASE_URL', 'LITELLM_MASTER_KEY', 'LITELLM_SALT_KEY']) {
      const e = env.find((x) => x.name === name);
      expect({ name, secretKeyRef: e?.valueFrom?.secretKeyRef?.name }).toEqual({
        name,
        secretKeyRef: expect.stringMatching(/^litellm-(db-url|keys)$/),
      });
    }
    const externalSecrets = objects
      .filter((o) => o.kind === 'ExternalSecret')
      .map((o) => o.metadata.name)
      .sort();
    expect(externalSecrets).toEqual(['litellm-db-url', 'litellm-keys']);
    expect(deployment.spec.template.spec.containers[0].image).toMatch(
      /^ghcr\.io\/berriai\/litellm:v\d+\.\d+\.\d+$/,
    );
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
    // TLS 1.2+ only; the controller's default policy is ELBSecurityPolicy-2016-08 (TLS 1.0).
    expect(a[`${p}ssl-negotiation-policy`]).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    // Set here because the controller's Service mutating webhook, which would default it, is off.
    expect(svc.spec.loadBalancerClass).toBe('service.k8s.aws/nlb');
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
