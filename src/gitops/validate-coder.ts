import { normalizeName, desiredRecords } from '../aws/route53/alias-records.js';
import { ConfigurationError } from '../util/errors.js';
import { parseTemplate } from './cfn-yaml.js';
import { servesApex } from './coder-topology.js';
import { resolveStackParameters } from './resolve-source.js';
import type { GitopsConfig, StackSpec } from './types.js';
import { certificateCovers, certificateNames } from './validate-certificate-names.js';
import { hasUnresolved, list, objectError, rec, valueAt, type LocatedObject, type RegionObjects, type RenderedGitops } from './validate-region-objects.js';

/**
 * Coder's own rules, learned from its source (github.com/coder/coder, read through the fork
 * roadgnar/coder): what makes `coder server` exit at start, what needs a licence, and what the
 * chart and the provisioner refuse. Each rule names its source file.
 */

interface EnvVar {
  index: number;
  value?: string;
  secret?: { name: string; key: string };
}

function chartOf(o: LocatedObject): string {
  return String(rec(rec(rec(o.object.spec)?.chart)?.spec)?.chart ?? '');
}

function releases(region: RegionObjects, chart: string): LocatedObject[] {
  return region.objects.filter(
    (o) => o.object.kind === 'HelmRelease' && String(o.object.apiVersion).startsWith('helm.toolkit.fluxcd.io/') && chartOf(o) === chart,
  );
}

function envOf(o: LocatedObject): Map<string, EnvVar> {
  const out = new Map<string, EnvVar>();
  list(valueAt(o.object, 'spec.values.coder.env')).forEach((e, index) => {
    const entry = rec(e);
    if (typeof entry?.name !== 'string') return;
    const ref = rec(rec(entry.valueFrom)?.secretKeyRef);
    // A value still holding a variable without a source is reported by validateFlux; judge nothing of it here.
    if (hasUnresolved(entry.value)) return;
    out.set(entry.name, {
      index,
      ...(entry.value !== undefined ? { value: String(entry.value) } : {}),
      ...(ref ? { secret: { name: String(ref.name ?? ''), key: String(ref.key ?? '') } } : {}),
    });
  });
  return out;
}

const envPath = (v: EnvVar) => `spec.values.coder.env[${v.index}]`;
const isSet = (v: EnvVar | undefined) => v !== undefined && (v.secret !== undefined || (v.value ?? '') !== '');
/** serpent's StringArray reads an environment variable as comma-separated values. */
const csv = (v: EnvVar | undefined) => (v?.value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * GitHub sign-in (cli/server.go, getGithubOAuth2ConfigParams and configureGithubOAuth2): once a client
 * id, secret or enterprise URL is set, Coder exits at start unless exactly one of allowed orgs and
 * allow-everyone is given, refuses allow-everyone with allowed teams, and wants teams as org/team.
 */
function githubOAuth(o: LocatedObject, env: Map<string, EnvVar>): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const id = env.get('CODER_OAUTH2_GITHUB_CLIENT_ID');
  const explicit = [id, env.get('CODER_OAUTH2_GITHUB_CLIENT_SECRET'), env.get('CODER_OAUTH2_GITHUB_ENTERPRISE_BASE_URL')].find(isSet);
  if (!explicit) return out;
  const everyoneVar = env.get('CODER_OAUTH2_GITHUB_ALLOW_EVERYONE');
  const everyone = (everyoneVar?.value ?? '').toLowerCase() === 'true';
  const orgs = csv(env.get('CODER_OAUTH2_GITHUB_ALLOWED_ORGS'));
  const teamsVar = env.get('CODER_OAUTH2_GITHUB_ALLOWED_TEAMS');
  const teams = csv(teamsVar);
  const where = envPath(explicit);
  const fix = 'set coder.github in gitops/platform.yaml (allowedOrgs: [<org>] or allowEveryone: true) and pass it as CODER_OAUTH2_GITHUB_ALLOWED_ORGS / CODER_OAUTH2_GITHUB_ALLOW_EVERYONE';
  if (everyone && orgs.length > 0) {
    out.push(objectError(o, where, `Coder exits at start: "allow everyone and allowed orgs cannot be used together" (cli/server.go); keep one. ${fix}`));
  }
  if (everyone && teams.length > 0) {
    out.push(objectError(o, envPath(teamsVar!), 'Coder exits at start: "allow everyone and allowed teams cannot be used together" (cli/server.go); drop CODER_OAUTH2_GITHUB_ALLOWED_TEAMS or allow-everyone'));
  }
  if (!everyone && orgs.length === 0) {
    out.push(
      objectError(
        o,
        where,
        'Coder exits at start: a GitHub OAuth client is configured but "allowed orgs is empty: must specify at least one org or allow everyone" (cli/server.go configureGithubOAuth2). ' +
          fix,
      ),
    );
  }
  for (const team of teams) {
    if (team.split('/').length !== 2 || team.split('/').some((p) => p === '')) {
      out.push(objectError(o, envPath(teamsVar!), `Coder exits at start: team "${team}" is not <organization>/<team> (cli/server.go)`));
    }
  }
  return out;
}

/** What Coder needs a licence for, as declared in gitops/ (enterprise/coderd/license/license.go, provisionerdaemons.go, wsproxy). */
export interface LicensedFeature {
  feature: string;
  object: LocatedObject;
  field: string;
  why: string;
  /**
   * Whether validate fails on it without a licence. Servers in several regions on the one database
   * are replicas too, but that is the topology's decision (workspace proxies are licensed as well):
   * validate says so in its summary instead of failing every plan.
   */
  fatal: boolean;
}

function declaredFeatures(rendered: RenderedGitops): LicensedFeature[] {
  const out: LicensedFeature[] = [];
  const coderRegions: { region: RegionObjects; release: LocatedObject }[] = [];
  for (const region of rendered.regions) {
    for (const p of releases(region, 'coder-provisioner')) {
      out.push({
        feature: 'external_provisioner_daemons',
        object: p,
        field: 'spec.chart',
        fatal: true,
        why: 'external provisioners (chart coder-provisioner): "External provisioner daemons is an Enterprise feature" (enterprise/coderd/provisionerdaemons.go)',
      });
    }
    for (const c of releases(region, 'coder')) {
      const values = rec(valueAt(c.object, 'spec.values.coder')) ?? {};
      if (values.workspaceProxy === true) {
        out.push({ feature: 'workspace_proxy', object: c, field: 'spec.values.coder.workspaceProxy', fatal: true, why: `${region.region.name} runs a workspace proxy (enterprise/wsproxy)` });
        continue;
      }
      if (region.region.enabled) coderRegions.push({ region, release: c });
      const replicas = Number(values.replicaCount ?? 1);
      if (replicas > 1) {
        out.push({
          feature: 'high_availability',
          object: c,
          field: 'spec.values.coder.replicaCount',
          fatal: true,
          why: `${region.region.name} runs ${replicas} Coder replicas: "You have multiple replicas but high availability is an Enterprise feature. You will be unable to connect to workspaces." (enterprise/coderd/license/license.go)`,
        });
      }
    }
  }
  if (coderRegions.length > 1) {
    const names = coderRegions.map((c) => c.region.region.name).join(', ');
    out.push({
      feature: 'high_availability',
      object: coderRegions[0]!.release,
      field: 'spec.chart',
      fatal: false,
      why:
        `${coderRegions.length} enabled regions (${names}) run a Coder server on the one shared database, so each is a replica of one deployment: ` +
        '"You have multiple replicas but high availability is an Enterprise feature. You will be unable to connect to workspaces." (enterprise/coderd/license/license.go)',
    });
  }
  return out;
}

/** The licence-bound features gitops/ declares and why each needs the licence, for validate's summary. */
export function licensedFeatures(rendered: RenderedGitops): { feature: string; why: string }[] {
  const seen = new Set<string>();
  return declaredFeatures(rendered)
    .map((f) => ({ feature: f.feature, why: f.why }))
    .filter((f) => !seen.has(f.feature + f.why) && (seen.add(f.feature + f.why), true));
}

function licence(rendered: RenderedGitops): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const license = rendered.config.platform.coder?.license ?? 'none';
  if (license === 'none') {
    // One message per feature and place (a base file serves every region).
    const grouped = new Map<string, LicensedFeature[]>();
    for (const f of declaredFeatures(rendered).filter((x) => x.fatal)) {
      const key = `${f.feature}|${f.object.file.file}|${f.object.doc.line}|${f.field}`;
      grouped.set(key, [...(grouped.get(key) ?? []), f]);
    }
    for (const fs of grouped.values()) {
      const f = fs[0]!;
      const whys = [...new Set(fs.map((x) => x.why))].join('; ');
      out.push(
        objectError(
          f.object,
          f.field,
          `needs a Coder licence (feature ${f.feature}): ${whys}. gitops/platform.yaml has coder.license: none; add a licence (coder licenses add) and set coder.license, or remove the feature`,
        ),
      );
    }
  }
  // Builds need a provisioner: built-in daemons on the server, or an external one in the region.
  for (const region of rendered.regions) {
    for (const c of releases(region, 'coder')) {
      const daemons = envOf(c).get('CODER_PROVISIONER_DAEMONS');
      if (daemons?.value !== '0' || releases(region, 'coder-provisioner').length > 0) continue;
      out.push(
        objectError(
          c,
          envPath(daemons),
          `CODER_PROVISIONER_DAEMONS is 0 and ${region.region.name} runs no external provisioner (chart coder-provisioner): no workspace can ever build there. ` +
            'Without a licence keep built-in provisioners (e.g. 3); with one, run coder-provisioner in the region',
        ),
      );
    }
  }
  return out;
}

function host(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * CODER_ACCESS_URL and CODER_WILDCARD_ACCESS_URL (codersdk/deployment.go; the wildcard is a hostname
 * pattern such as *.coder.example.com, coderd/workspaceapps/appurl): served over the NLB's TLS
 * listener, so each must be a name the region's certificate covers and one Route 53 answers
 * (src/aws/route53/alias-records.ts desiredRecords: <region>.<domain>, *.<region>.<domain>, and the
 * apex and *.<domain> for latency routing).
 */
function accessUrls(rendered: RenderedGitops, region: RegionObjects, c: LocatedObject, env: Map<string, EnvVar>): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const { config } = rendered;
  const records = desiredRecords(config.platform.domain, region.region.name, { dnsName: 'nlb.invalid', hostedZoneId: 'Z0' }, undefined);
  // A workspace proxy never joins the apex latency set (coder-topology.ts servesApex): its own names only.
  const dnsNames = [...records.own, ...(servesApex(region.region) ? records.latency : [])].map((r) => normalizeName(r.Name ?? ''));
  const certVar = certificateVariable(region);
  const certNames = certVar ? certificateNames(config, region.region, certVar) : undefined;
  const access = env.get('CODER_ACCESS_URL');
  const accessHost = access?.value !== undefined ? host(access.value) : undefined;
  if (access && access.value !== undefined) {
    if (!/^https:\/\//.test(access.value) || !accessHost) {
      out.push(objectError(c, envPath(access), `CODER_ACCESS_URL "${access.value}" must be an https:// URL (users reach Coder through the NLB's TLS listener), e.g. https://${region.region.name}.${config.platform.domain}`));
    } else {
      if (!dnsNames.includes(accessHost)) {
        out.push(objectError(c, envPath(access), `CODER_ACCESS_URL host ${accessHost} has no Route 53 record for ${region.region.name}; apply-region writes ${dnsNames.join(', ')}`));
      }
      if (certNames && !certificateCovers(certNames, accessHost)) {
        out.push(objectError(c, envPath(access), `CODER_ACCESS_URL host ${accessHost} is not covered by ${region.region.name}'s certificate (${certNames.join(', ')}): browsers would refuse it`));
      }
    }
  }
  const wildcard = env.get('CODER_WILDCARD_ACCESS_URL');
  if (wildcard?.value) {
    const pattern = wildcard.value.replace(/^https?:\/\//, '').toLowerCase();
    if (!/^\*[.-]/.test(pattern) || pattern.split('*').length !== 2) {
      out.push(objectError(c, envPath(wildcard), `CODER_WILDCARD_ACCESS_URL "${wildcard.value}" must be a hostname pattern with one leading *, e.g. *.${region.region.name}.${config.platform.domain}`));
    } else {
      if (!dnsNames.includes(pattern)) {
        out.push(objectError(c, envPath(wildcard), `CODER_WILDCARD_ACCESS_URL ${pattern} has no Route 53 record for ${region.region.name}; apply-region writes ${dnsNames.join(', ')}`));
      }
      if (certNames && !certNames.includes(pattern)) {
        out.push(objectError(c, envPath(wildcard), `CODER_WILDCARD_ACCESS_URL ${pattern} is not a name of ${region.region.name}'s certificate (${certNames.join(', ')}): app subdomains would fail TLS`));
      }
      if (accessHost && pattern !== `*.${accessHost}`) {
        out.push(objectError(c, envPath(wildcard), `CODER_WILDCARD_ACCESS_URL ${pattern} does not belong to the access URL's host ${accessHost}: expected *.${accessHost}`));
      }
    }
  }
  return out;
}

/** The cluster variable the NLB's certificate annotation is written with. */
function certificateVariable(region: RegionObjects): string | undefined {
  for (const o of region.objects) {
    if (o.object.kind !== 'Service') continue;
    const raw = rec(rec(o.raw.metadata)?.annotations)?.['service.beta.kubernetes.io/aws-load-balancer-ssl-cert'];
    const m = typeof raw === 'string' ? /^\$\{([a-z_][a-z0-9_]*)\}$/.exec(raw) : null;
    if (m) return m[1];
  }
  return undefined;
}

/** Data keys an ExternalSecret writes into its target Secret (template data when templated, else data[].secretKey). */
function externalSecretTargets(region: RegionObjects): Map<string, { object: LocatedObject; keys: Set<string>; templates: Map<string, string> }> {
  const out = new Map<string, { object: LocatedObject; keys: Set<string>; templates: Map<string, string> }>();
  for (const o of region.objects) {
    if (o.object.kind !== 'ExternalSecret' || !String(o.object.apiVersion).startsWith('external-secrets.io/')) continue;
    const meta = rec(o.object.metadata) ?? {};
    const spec = rec(o.object.spec) ?? {};
    const target = rec(spec.target) ?? {};
    const name = String(target.name ?? meta.name ?? '');
    const templateData = rec(rec(target.template)?.data);
    const templates = new Map(Object.entries(templateData ?? {}).map(([k, v]) => [k, String(v)]));
    const keys = templateData ? new Set(templates.keys()) : new Set(list(spec.data).map((d) => String(rec(d)?.secretKey ?? '')));
    out.set(`${String(meta.namespace ?? '')}/${name}`, { object: o, keys, templates });
  }
  return out;
}

/**
 * The database URL (CODER_PG_CONNECTION_URL, codersdk/deployment.go): from a Secret, never a value in
 * Git; that Secret written by an ExternalSecret that has the key; a postgres:// URL that requires TLS
 * (Aurora forces it, issue 15 defect 13), unless CODER_PG_AUTH=awsiamrds (coderd/database/awsiamrds).
 */
function databaseUrl(region: RegionObjects, c: LocatedObject, env: Map<string, EnvVar>): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const url = env.get('CODER_PG_CONNECTION_URL');
  if (!url) {
    out.push(objectError(c, 'spec.values.coder.env', 'CODER_PG_CONNECTION_URL is not set: Coder would start its built-in PostgreSQL in the pod and lose every region\'s data on restart; set it from the database Secret (valueFrom.secretKeyRef)'));
    return out;
  }
  if (!url.secret) {
    out.push(objectError(c, envPath(url), 'CODER_PG_CONNECTION_URL is a value in Git: it holds the database password; take it from a Secret written by External Secrets (valueFrom.secretKeyRef)'));
    return out;
  }
  const ns = String(rec(c.object.metadata)?.namespace ?? '');
  const producer = externalSecretTargets(region).get(`${ns}/${url.secret.name}`);
  if (!producer) {
    out.push(objectError(c, `${envPath(url)}.valueFrom.secretKeyRef.name`, `Secret ${ns}/${url.secret.name} is written by no ExternalSecret under gitops/: Coder's pod would not start (CreateContainerConfigError)`));
    return out;
  }
  if (!producer.keys.has(url.secret.key)) {
    out.push(objectError(c, `${envPath(url)}.valueFrom.secretKeyRef.key`, `ExternalSecret ${producer.object.file.file} writes keys ${[...producer.keys].join(', ') || 'none'} into ${url.secret.name}, not ${url.secret.key}`));
    return out;
  }
  const template = producer.templates.get(url.secret.key);
  const iam = env.get('CODER_PG_AUTH')?.value === 'awsiamrds';
  if (template !== undefined) {
    const where = `spec.target.template.data.${url.secret.key}`;
    if (!/^postgres(ql)?:\/\//.test(template)) {
      out.push(objectError(producer.object, where, 'the database URL must start with postgres:// (Coder opens it with lib/pq)'));
    } else if (!/[?&]sslmode=(require|verify-ca|verify-full)\b/.test(template)) {
      out.push(objectError(producer.object, where, 'the database URL must require TLS: add sslmode=require (or verify-full) — Aurora refuses plain connections with rds.force_ssl'));
    } else if (!iam && !/:\/\/[^@]*:[^@]*@/.test(template)) {
      out.push(objectError(producer.object, where, 'the database URL has no password and CODER_PG_AUTH is not awsiamrds: Coder could not log in'));
    }
  }
  return out;
}

/**
 * The external provisioner with a provisioner key (helm/provisioner in Coder's repository;
 * enterprise/cli/provisionerdaemonstart.go: "cannot provide tags when using provisioner key", and a
 * key replaces the deprecated PSK): key and PSK never together, no tags beside a key, and the key's
 * Secret written by an ExternalSecret in the release's namespace.
 */
function provisionerKeys(region: RegionObjects): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const targets = externalSecretTargets(region);
  for (const p of releases(region, 'coder-provisioner')) {
    const daemon = rec(valueAt(p.object, 'spec.values.provisionerDaemon')) ?? {};
    const keyName = typeof daemon.keySecretName === 'string' ? daemon.keySecretName : '';
    const psk = typeof daemon.pskSecretName === 'string' ? daemon.pskSecretName : '';
    if (!keyName) {
      out.push(objectError(p, 'spec.values.provisionerDaemon', 'the provisioner has no provisionerDaemon.keySecretName: a provisioner key (coder provisioner keys create) is how an external provisioner authenticates; the PSK is deprecated'));
      continue;
    }
    if (psk) out.push(objectError(p, 'spec.values.provisionerDaemon.pskSecretName', 'pskSecretName and keySecretName cannot both be set (the chart refuses it): set pskSecretName: ""'));
    if (Object.keys(rec(daemon.tags) ?? {}).length > 0) {
      out.push(objectError(p, 'spec.values.provisionerDaemon.tags', 'tags come from the provisioner key: "cannot provide tags when using provisioner key" (enterprise/cli/provisionerdaemonstart.go); create the key with --tag instead'));
    }
    const ns = String(rec(p.object.metadata)?.namespace ?? '');
    const key = typeof daemon.keySecretKey === 'string' ? daemon.keySecretKey : 'key';
    const producer = targets.get(`${ns}/${keyName}`);
    if (!producer) {
      out.push(objectError(p, 'spec.values.provisionerDaemon.keySecretName', `Secret ${ns}/${keyName} is written by no ExternalSecret under gitops/: the provisioner pod would not start`));
    } else if (!producer.keys.has(key)) {
      out.push(objectError(p, 'spec.values.provisionerDaemon.keySecretKey', `ExternalSecret ${producer.object.file.file} writes ${[...producer.keys].join(', ')} into ${keyName}, not ${key}`));
    }
  }
  return out;
}

/** What each Coder endpoint a Route 53 health check could probe does (issue 15, defect 10). */
const HEALTH_PATHS: Record<string, { ok: boolean; why: string; needsEnv?: [string, string] }> = {
  '/healthz': { ok: false, why: 'answers "OK" without touching the database (coderd/coderd.go)' },
  '/api/v2/buildinfo': { ok: false, why: 'answers build metadata without touching the database (coderd/coderd.go buildInfoHandler)' },
  '/api/v2/users/first': { ok: false, why: 'answers 404 until the first user exists (coderd/users.go firstUser), and Route 53 counts 4xx as unhealthy' },
  '/api/v2/users/authmethods': { ok: false, why: 'answers from the deployment configuration, not the database (coderd/userauth.go userAuthMethods)' },
  '/api/v2/debug/health': { ok: false, why: 'needs an owner\'s session (coderd/coderd.go, debug routes behind apiKeyMiddleware)' },
  '/api/v2/updatecheck': {
    ok: true,
    why: 'reads the last update check from the database on every request, needs no session and answers 200 before the first user (coderd/updatecheck.go), while the update checker runs',
    needsEnv: ['CODER_UPDATE_CHECK', 'true'],
  },
};

/** A health check's ResourcePath: a literal, or `!Ref` of a parameter resolved from the stack's sources (else its Default). */
function resourcePath(value: unknown, template: Record<string, unknown>, stack: StackSpec, config: GitopsConfig, region: RegionObjects): string | undefined {
  if (value === undefined) return '/';
  if (typeof value === 'string') return value;
  const ref = rec(value)?.Ref;
  if (typeof ref !== 'string') return undefined;
  const resolved = resolveStackParameters(stack, { config, outputs: () => undefined, region: region.region })[ref];
  if (resolved?.known) return resolved.value;
  const fallback = rec(rec(template.Parameters)?.[ref])?.Default;
  return typeof fallback === 'string' ? fallback : undefined;
}

/** Every HTTP(S) Route 53 health check of a region's stacks probes a path that fails when Coder lost its database (a proxy's: /healthz). */
function healthChecks(rendered: RenderedGitops): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const { config } = rendered;
  const seen = new Set<string>();
  for (const region of rendered.regions) {
    const coder = releases(region, 'coder')[0];
    for (const stack of region.region.stacks) {
      const text = config.templates.get(stack.template);
      if (text === undefined) continue;
      const file = `gitops/stacks/${stack.template}.yaml`;
      let template: Record<string, unknown>;
      try {
        template = parseTemplate(text, file);
      } catch {
        continue; // reported by validateStacks
      }
      for (const [logical, res] of Object.entries(rec(template.Resources) ?? {})) {
        if (rec(res)?.Type !== 'AWS::Route53::HealthCheck') continue;
        const field = `Resources.${logical}.Properties.HealthCheckConfig.ResourcePath`;
        const hc = rec(rec(rec(res)?.Properties)?.HealthCheckConfig) ?? {};
        if (!['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH'].includes(String(hc.Type))) continue;
        const raw = resourcePath(hc.ResourcePath, template, stack, config, region);
        if (raw === undefined) continue; // not known offline
        const p = raw.split('?')[0]!;
        // A workspace proxy has no database: the proxy process answering is what its check can know.
        if (region.region.coder === 'proxy') {
          if (p !== '/healthz') {
            const message = `${region.region.name} is a workspace proxy (${region.region.file} coder: proxy): its health check must probe /healthz, not ${p} (a proxy has no database and serves only /healthz, /healthz-report and /api/v2/buildinfo besides apps: enterprise/wsproxy/wsproxy.go); pass HealthCheckPath: { field: coderHealthCheckPath }`;
            const param = `stacks[${region.region.stacks.indexOf(stack)}].parameters`;
            // A literal path is the template's defect; a parameter's is the region file's.
            const e =
              typeof hc.ResourcePath === 'string'
                ? new ConfigurationError(message, { file, line: rendered.lines.line(file, field), path: field })
                : new ConfigurationError(message, { file: region.region.file, line: rendered.lines.line(region.region.file, param), path: param });
            if (!seen.has(e.message)) {
              seen.add(e.message);
              out.push(e);
            }
          }
          continue;
        }
        const known = HEALTH_PATHS[p];
        const good = Object.entries(HEALTH_PATHS).filter(([, v]) => v.ok).map(([k]) => k).join(', ');
        const at = (message: string) => new ConfigurationError(message, { file, line: rendered.lines.line(file, field), path: field });
        let e: ConfigurationError | undefined;
        if (!known) e = at(`health check path ${p} is not a Coder endpoint known to read the database without a session; probe ${good}`);
        else if (!known.ok) e = at(`health check path ${p} ${known.why}: a region that lost its database would stay in latency routing. Probe ${good}`);
        else if (known.needsEnv && coder) {
          const [name, value] = known.needsEnv;
          const v = envOf(coder).get(name);
          if (v?.value !== value) {
            e = objectError(coder, v ? envPath(v) : 'spec.values.coder.env', `${p} ${known.why}: set ${name}=${value} on Coder (the Route 53 health check in ${file} probes it)`);
          }
        }
        if (e && !seen.has(e.message)) {
          seen.add(e.message);
          out.push(e);
        }
      }
    }
  }
  return out;
}

/** Coder's startup, licence, URL, database and provisioner rules on every region's Coder releases. */
export function validateCoder(rendered: RenderedGitops): ConfigurationError[] {
  const out: ConfigurationError[] = [...licence(rendered), ...healthChecks(rendered)];
  for (const region of rendered.regions) {
    for (const c of releases(region, 'coder')) {
      const env = envOf(c);
      if (rec(valueAt(c.object, 'spec.values.coder'))?.workspaceProxy === true) {
        // The proxy's own URL and wildcard follow the same DNS/certificate rules; it has no database or sign-in.
        out.push(...accessUrls(rendered, region, c, env));
        continue;
      }
      out.push(...githubOAuth(c, env), ...accessUrls(rendered, region, c, env), ...databaseUrl(region, c, env));
    }
    out.push(...provisionerKeys(region));
  }
  return out;
}
