import { ConfigurationError } from '../util/errors.js';
import { parseTemplate } from './cfn-yaml.js';
import { APP_PATHS, primaryAccessUrl } from './coder-topology.js';
import { resolveStackParameters } from './resolve-source.js';
import type { GitopsConfig, RegionConfig, StackSpec } from './types.js';
import { certificateCovers, certificateNames } from './validate-certificate-names.js';
import { certificateVariable, envOf, envPath, externalSecretTargets, releases } from './validate-coder.js';
import { list, objectError, rec, valueAt, type LocatedObject, type RegionObjects, type RenderedGitops } from './validate-region-objects.js';
import { keyTagsFor, readRemoteSecrets, type RemoteSecret } from './validate-secret-producers.js';

/*
 * Coder's topology across regions (regions/<region>.yaml `coder:`, types.ts CoderMode) against what
 * gitops/ deploys: one primary next to the database, proxies with their wildcard certificate and the
 * primary's URL, replicas only with the licence and the mesh port, provisioners tagged by region.
 * Sources: enterprise/cli/proxyserver.go (a proxy's required flags), enterprise/coderd/license/license.go
 * (high availability is licensed), helm/coder/templates/_coder.tpl (replicas relay on <pod IP>:8080),
 * enterprise/cli/provisionerdaemonstart.go (a key's tags are the daemon's tags).
 */

/** The mesh port: coderd replicas relay to each other at http://<pod IP>:8080 (CODER_DERP_SERVER_RELAY_URL in the chart). */
export const REPLICA_RELAY_PORT = 8080;

function regionError(rendered: RenderedGitops, region: RegionConfig, field: string, message: string): ConfigurationError {
  return new ConfigurationError(message, { file: region.file, line: rendered.lines.line(region.file, field), path: field });
}

const isProxyRelease = (o: LocatedObject) => rec(valueAt(o.object, 'spec.values.coder'))?.workspaceProxy === true;

/** Exactly one primary among enabled regions, never two declared, and it is the hub (the database is there). */
function primaries(rendered: RenderedGitops): ConfigurationError[] {
  const { config } = rendered;
  const out: ConfigurationError[] = [];
  const declared = config.regions.filter((r) => r.coder === 'primary');
  const enabled = config.regions.filter((r) => r.enabled);
  if (declared.length > 1) {
    for (const r of declared.slice(1)) {
      out.push(
        regionError(
          rendered,
          r,
          'coder',
          `two Coder primaries (${declared.map((d) => d.name).join(', ')}): Coder has one control plane, next to its database in the hub (${config.platform.hubRegion}); make ${r.name} coder: proxy (a workspace proxy) or coder: replica (licensed HA)`,
        ),
      );
    }
  }
  if (enabled.length > 0 && !enabled.some((r) => r.coder === 'primary')) {
    const hub = config.regions.find((r) => r.name === config.platform.hubRegion) ?? enabled[0]!;
    out.push(
      regionError(
        rendered,
        hub,
        'coder',
        `no enabled region is the Coder primary (enabled: ${enabled.map((r) => `${r.name} ${r.coder}`).join(', ')}): proxies and replicas need one; set coder: primary in the hub's file (${config.platform.hubRegion})`,
      ),
    );
  }
  for (const r of declared) {
    if (r.name !== config.platform.hubRegion) {
      out.push(
        regionError(
          rendered,
          r,
          'coder',
          `the Coder primary must run next to the shared database, in the hub (${config.platform.hubRegion}, platform.yaml hubRegion), not ${r.name}: make ${config.platform.hubRegion} coder: primary and ${r.name} coder: proxy`,
        ),
      );
    }
  }
  return out;
}

/** What clusters/<region>/ syncs agrees with the mode: the server for primary/replica, the proxy for proxy. */
function clusterMatchesMode(rendered: RenderedGitops, region: RegionObjects): ConfigurationError[] {
  const mode = region.region.coder;
  const coder = releases(region, 'coder');
  const want = APP_PATHS[mode];
  const where = region.kustomizations.get('apps');
  const syncs = where ? String(rec(where.object.spec)?.path ?? '') : undefined;
  const fix = `regions/${region.region.name}.yaml says coder: ${mode}; its clusters/${region.region.name}/ must sync ./${want} (Kustomization apps)`;
  if (coder.length === 0) {
    // A cluster without apps yet (infrastructure only) deploys nothing to disagree with; one whose apps deploy no Coder does.
    return where ? [objectError(where, 'spec.path', `${region.region.name} deploys no Coder (no HelmRelease of chart coder under ${syncs}): ${fix}`)] : [];
  }
  const out: ConfigurationError[] = [];
  for (const c of coder) {
    const proxy = isProxyRelease(c);
    if (proxy === (mode === 'proxy')) continue;
    const what = proxy ? 'a workspace proxy (coder.workspaceProxy: true)' : 'the full Coder server';
    out.push(
      where && c.kustomization === 'apps'
        ? objectError(where, 'spec.path', `${syncs} deploys ${what} (${c.file.file}), but ${fix}`)
        : objectError(c, 'spec.values.coder', `${region.region.name} deploys ${what} here, but ${fix}`),
    );
  }
  return out;
}

/**
 * A proxy (enterprise/cli/proxyserver.go): CODER_PRIMARY_ACCESS_URL and CODER_PROXY_SESSION_TOKEN are
 * required; the primary is reached by its own name; the token comes from a Secret an ExternalSecret
 * writes; workspace apps need CODER_WILDCARD_ACCESS_URL and a certificate covering `*.<region>.<domain>`.
 */
function proxyRules(rendered: RenderedGitops, region: RegionObjects): ConfigurationError[] {
  const { config } = rendered;
  const out: ConfigurationError[] = [];
  const domain = config.platform.domain;
  const name = region.region.name;
  for (const c of releases(region, 'coder').filter(isProxyRelease)) {
    const env = envOf(c);
    const primary = env.get('CODER_PRIMARY_ACCESS_URL');
    const wantPrimary = primaryAccessUrl(config);
    if (!primary) {
      out.push(objectError(c, 'spec.values.coder.env', `a workspace proxy needs CODER_PRIMARY_ACCESS_URL (required by coder wsproxy server, enterprise/cli/proxyserver.go): set it to ${wantPrimary} (\${coder_primary_access_url})`));
    } else if (primary.value !== undefined && primary.value.replace(/\/$/, '') !== wantPrimary) {
      out.push(
        objectError(c, envPath(primary), `CODER_PRIMARY_ACCESS_URL is ${primary.value}, expected the primary by its own name, ${wantPrimary}: the apex may not route yet, and another region's name is not the primary`),
      );
    }
    const token = env.get('CODER_PROXY_SESSION_TOKEN');
    if (!token) {
      out.push(objectError(c, 'spec.values.coder.env', 'a workspace proxy needs CODER_PROXY_SESSION_TOKEN (required by coder wsproxy server): take it from the Secret coder-proxy-token (valueFrom.secretKeyRef), written by an ExternalSecret from coderdemo/coder-proxy-token'));
    } else if (!token.secret) {
      out.push(objectError(c, envPath(token), 'CODER_PROXY_SESSION_TOKEN is a value in Git: it is a credential; take it from a Secret written by External Secrets (valueFrom.secretKeyRef)'));
    } else {
      const ns = String(rec(c.object.metadata)?.namespace ?? '');
      const producer = externalSecretTargets(region).get(`${ns}/${token.secret.name}`);
      if (!producer) {
        out.push(objectError(c, `${envPath(token)}.valueFrom.secretKeyRef.name`, `Secret ${ns}/${token.secret.name} is written by no ExternalSecret under the folders ${name} syncs: the proxy's pod would not start`));
      } else if (!producer.keys.has(token.secret.key)) {
        out.push(objectError(c, `${envPath(token)}.valueFrom.secretKeyRef.key`, `ExternalSecret ${producer.object.file.file} writes ${[...producer.keys].join(', ') || 'no keys'} into ${token.secret.name}, not ${token.secret.key}`));
      }
    }
    const wildcard = `*.${name}.${domain}`;
    if (!env.get('CODER_WILDCARD_ACCESS_URL')?.value) {
      out.push(objectError(c, 'spec.values.coder.env', `a workspace proxy serves workspace apps on subdomains: set CODER_WILDCARD_ACCESS_URL to ${wildcard} (\${coder_wildcard_access_url})`));
    }
    const certVar = certificateVariable(region);
    const names = certVar ? certificateNames(config, region.region, certVar) : undefined;
    const certStack = certVar ? region.region.clusterVars[certVar] : undefined;
    const stackName = certStack?.kind === 'output' ? certStack.stack : 'certificates';
    if (!names) {
      out.push(
        regionError(
          rendered,
          region.region,
          'stacks',
          `${name} is a workspace proxy, so it needs its own certificate covering ${name}.${domain} and ${wildcard} (workspace apps), but the certificate its NLB uses (${certVar ? `\${${certVar}}` : 'none'}) does not come from a certificate stack of ${name}: add the certificates stack and acm_certificate_arn: { output: certificates.CertificateArn }`,
        ),
      );
    } else {
      for (const host of [`${name}.${domain}`, wildcard]) {
        if (host.startsWith('*.') ? names.includes(host) : certificateCovers(names, host)) continue;
        const stack = region.region.stacks.find((s) => s.name === stackName);
        out.push(
          new ConfigurationError(
            `${name} is a workspace proxy and its certificate (stack ${stackName}: ${names.join(', ')}) does not cover ${host}: ${host.startsWith('*.') ? 'workspace apps on the proxy would fail TLS' : "the proxy's own name would fail TLS"}; add ${host} to SubjectAlternativeNames`,
            { file: `gitops/stacks/${stack?.template ?? stackName}.yaml`, line: rendered.lines.line(`gitops/stacks/${stack?.template ?? stackName}.yaml`, 'Resources.Certificate.Properties.SubjectAlternativeNames'), path: 'Resources.Certificate.Properties.SubjectAlternativeNames' },
          ),
        );
      }
    }
  }
  return out;
}

/** Whether a stack's template opens tcp 8080 on its SecurityGroupId from a CIDR that resolves to `cidr`. */
function opensRelayPort(config: GitopsConfig, region: RegionConfig, stack: StackSpec, cidr: string): boolean {
  const text = config.templates.get(stack.template);
  if (text === undefined) return false;
  let template: Record<string, unknown>;
  try {
    template = parseTemplate(text, `stacks/${stack.template}.yaml`);
  } catch {
    return false; // reported by validateStacks
  }
  const params = resolveStackParameters(stack, { config, outputs: () => undefined, region });
  return Object.values(rec(template.Resources) ?? {}).some((res) => {
    const r = rec(res);
    if (r?.Type !== 'AWS::EC2::SecurityGroupIngress') return false;
    const p = rec(r.Properties) ?? {};
    const from = Number(p.FromPort);
    const to = Number(p.ToPort);
    if (!['tcp', '6', '-1'].includes(String(p.IpProtocol)) || !(from <= REPLICA_RELAY_PORT && REPLICA_RELAY_PORT <= to)) return false;
    const ref = rec(p.CidrIp)?.Ref;
    const source = typeof ref === 'string' ? params[ref] : typeof p.CidrIp === 'string' ? { known: true as const, value: p.CidrIp } : undefined;
    return source?.known === true && source.value === cidr;
  });
}

/**
 * A replica (a second full coderd on the shared database): high availability is a licence feature
 * ("You have multiple replicas but high availability is an Enterprise feature", enterprise/coderd/license/license.go),
 * and replicas relay to each other on pod IPs at 8080, so both VPCs must open it to the other
 * (stacks/coder-mesh.yaml, once in the replica's region and once with deployRegion: hub).
 */
function replicaRules(rendered: RenderedGitops, region: RegionConfig): ConfigurationError[] {
  const { config } = rendered;
  const out: ConfigurationError[] = [];
  if (config.platform.coder.license === 'none') {
    out.push(
      regionError(
        rendered,
        region,
        'coder',
        `${region.name} is a Coder replica (high availability), an Enterprise/Premium feature: without it Coder says "You have multiple replicas but high availability is an Enterprise feature. You will be unable to connect to workspaces." (enterprise/coderd/license/license.go). Declare coder.license: premium or enterprise in gitops/platform.yaml (and store the licence in coderdemo/coder-license), or make ${region.name} coder: proxy`,
      ),
    );
  }
  const hub = config.regions.find((r) => r.name === config.platform.hubRegion);
  if (!hub) return out;
  const own = region.stacks.some((s) => !s.deployRegion && opensRelayPort(config, region, s, hub.vpcCidr));
  const back = region.stacks.some((s) => (s.deployRegion === 'hub' || s.deployRegion === hub.name) && opensRelayPort(config, region, s, region.vpcCidr));
  const missing = [
    ...(own ? [] : [`in ${region.name} from the hub's VPC ${hub.vpcCidr} (a stack with template coder-mesh, SecurityGroupId: { output: eks.ClusterSecurityGroupId }, PeerCidr: { field: hubVpcCidr })`]),
    ...(back ? [] : [`in the hub from ${region.name}'s VPC ${region.vpcCidr} (template coder-mesh, deployRegion: hub, SecurityGroupId: { output: eks.ClusterSecurityGroupId, region: hub }, PeerCidr: { field: vpcCidr })`]),
  ];
  if (missing.length > 0) {
    out.push(
      regionError(
        rendered,
        region,
        'stacks',
        `${region.name} is a Coder replica, and replicas relay to each other on their pod IPs at port ${REPLICA_RELAY_PORT} (helm/coder/templates/_coder.tpl CODER_DERP_SERVER_RELAY_URL), which no rule allows between the VPCs: open tcp ${REPLICA_RELAY_PORT} ${missing.join(' and ')}`,
      ),
    );
  }
  return out;
}

/** The table entry of the remote secret an ExternalSecret's data entry for `key` reads. */
function tableEntryOf(secrets: RemoteSecret[], es: LocatedObject, key: string): RemoteSecret | undefined {
  const i = list(valueAt(es.object, 'spec.data')).findIndex((d) => rec(d)?.secretKey === key);
  if (i < 0) return undefined;
  const raw = valueAt(es.raw, `spec.data[${i}].remoteRef.key`);
  const value = valueAt(es.object, `spec.data[${i}].remoteRef.key`);
  return secrets.find((s) => ('clusterVar' in s.remoteKey ? typeof raw === 'string' && raw.trim() === `\${${s.remoteKey.clusterVar}}` : value === s.remoteKey.literal));
}

/**
 * Provisioners per region: Coder hands jobs out by organization and tags only, so an untagged daemon in
 * every region builds wherever it claims first. A key's daemon takes its tags from the key
 * (enterprise/cli/provisionerdaemonstart.go), so the key's table entry declares keyTags region: <region>;
 * a PSK daemon declares provisionerDaemon.tags.region. Either way the daemon talks to the primary.
 */
function provisionerRules(rendered: RenderedGitops, region: RegionObjects, secrets: RemoteSecret[], tableFile: string): ConfigurationError[] {
  const { config } = rendered;
  const out: ConfigurationError[] = [];
  const name = region.region.name;
  for (const p of releases(region, 'coder-provisioner')) {
    const daemon = rec(valueAt(p.object, 'spec.values.provisionerDaemon')) ?? {};
    const keyName = typeof daemon.keySecretName === 'string' ? daemon.keySecretName : '';
    if (keyName) {
      const ns = String(rec(p.object.metadata)?.namespace ?? '');
      const es = externalSecretTargets(region).get(`${ns}/${keyName}`);
      const key = typeof daemon.keySecretKey === 'string' ? daemon.keySecretKey : 'key';
      const entry = es && tableEntryOf(secrets, es.object, key);
      if (!entry) continue; // reported by provisionerKeys / validateSecretProducers
      const tag = keyTagsFor(entry, name).region;
      if (tag !== name) {
        out.push(
          objectError(
            p,
            'spec.values.provisionerDaemon.keySecretName',
            `the provisioner in ${name} authenticates with the key ${entry.name}, whose tags (${tableFile}: keyTags) ${tag === undefined ? 'have no region' : `say region=${tag}`}: Coder hands jobs out by tags only, so templates could not place workspaces in ${name}. Set keyTags: { region: <region> } on ${entry.name}`,
          ),
        );
      }
    } else {
      const tag = rec(daemon.tags)?.region;
      if (tag !== name) {
        out.push(objectError(p, 'spec.values.provisionerDaemon.tags', `the provisioner in ${name} has ${tag === undefined ? 'no region tag' : `region tag ${String(tag)}`}: set provisionerDaemon.tags.region: ${name} (or use a key with keyTags region)`));
      }
    }
    const url = envOf(p).get('CODER_URL');
    const want = primaryAccessUrl(config);
    if (url?.value !== undefined && url.value.replace(/\/$/, '') !== want) {
      out.push(objectError(p, envPath(url), `CODER_URL is ${url.value}: provisioners talk to the primary's API (a workspace proxy does not serve it); set it to ${want} (\${coder_primary_access_url})`));
    }
  }
  return out;
}

/** Coder's topology rules on every region (see the file comment). */
export function validateCoderTopology(rendered: RenderedGitops): ConfigurationError[] {
  const { config } = rendered;
  const table = readRemoteSecrets(config.dir, config.platform.project);
  const out: ConfigurationError[] = [...primaries(rendered)];
  for (const region of rendered.regions) {
    out.push(...clusterMatchesMode(rendered, region));
    if (region.region.coder === 'proxy') out.push(...proxyRules(rendered, region));
    if (region.region.coder === 'replica') out.push(...replicaRules(rendered, region.region));
    out.push(...provisionerRules(rendered, region, table.secrets, table.file));
  }
  return out;
}
