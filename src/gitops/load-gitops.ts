import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, ConfigurationErrors, errorMessage } from '../util/errors.js';
import { parseCidr } from './cidr.js';
import { parseTemplate } from './cfn-yaml.js';
import { readRegularFile } from './regular-files.js';
import { FieldReader, describeValue } from './field-reader.js';
import {
  CODER_MODES,
  FIELD_NAMES,
  type CoderConfig,
  type FieldName,
  type GitopsConfig,
  type PlatformConfig,
  type RegionConfig,
  type StackSpec,
  type Thresholds,
  type ValueSource,
  type VantagePoint,
} from './types.js';
import { VAR_TYPES, type VarTypeName } from './validate-var-types.js';
import { childPath, parseYamlDocument } from './yaml-file.js';
import { CHART_VERSION } from './coder-version.js';

export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;
const STACK_NAME = /^[a-z][a-z0-9-]*$/;
const CLUSTER_VAR = /^[a-z][a-z0-9_]*$/;
const PARAMETER_NAME = /^[A-Za-z0-9]+$/;
const OUTPUT_REF = /^([a-z][a-z0-9-]*)\.([A-Za-z0-9]+)$/;

export const DEFAULT_THRESHOLDS: Thresholds = {
  tlsWarnDays: 21,
  tlsFailDays: 7,
  coldStartBudgetMs: 10000,
  warmP95BudgetMs: 100,
  warmRequests: 10,
  httpTimeoutMs: 15000,
};

const PLATFORM_KEYS = [
  'project',
  'domain',
  'accountId',
  'hostedZoneId',
  'hubRegion',
  'github',
  'flux',
  'account',
  'vantagePoints',
  'thresholds',
  'coldStart',
  'loadBalancer',
  'allowedSources',
  'coder',
] as const;
const REGION_KEYS = ['region', 'role', 'coder', 'enabled', 'wave', 'vpcCidr', 'stacks', 'clusterVars'] as const;
const STACK_KEYS = ['name', 'template', 'deployRegion', 'dependsOn', 'parameters'] as const;

const SOURCE_EXPECTED =
  'a literal (string, number or true/false), { field: <name> } or { output: "<stack>.<OutputKey>", region?: hub|<region> }';

/** The file name users see in messages: relative to the repository (the gitops folder's parent). */
export function displayPath(dir: string, file: string): string {
  return path.relative(path.dirname(path.resolve(dir)), file).split(path.sep).join('/');
}

/** Reads a `ValueSource` (literal, `{ field }`, `{ output }`). */
export function readSource(r: FieldReader, value: unknown, p: string): ValueSource | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return { kind: 'literal', value: String(value) };
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if ('field' in obj) {
      r.object(obj, p, ['field'], ['field']);
      const field = r.oneOf(obj.field, childPath(p, 'field'), FIELD_NAMES);
      return field ? { kind: 'field', field: field as FieldName } : undefined;
    }
    if ('output' in obj) {
      r.object(obj, p, ['output', 'region'], ['output']);
      const ref = r.string(obj.output, childPath(p, 'output'), OUTPUT_REF, '"<stack>.<OutputKey>", e.g. "network.VpcId"');
      const region = r.optionalString(obj.region, childPath(p, 'region'), /^(hub|[a-z]{2}(-[a-z]+)+-\d)$/, 'hub or a region name');
      const m = ref ? OUTPUT_REF.exec(ref) : null;
      if (!m || !m[1] || !m[2]) return undefined;
      return { kind: 'output', stack: m[1], outputKey: m[2], ...(region ? { region } : {}) };
    }
  }
  r.error(p, `expected ${SOURCE_EXPECTED}, got ${describeValue(value)}`);
  return undefined;
}

/**
 * `clusterVars`: each a source with its declared type (src/gitops/validate-var-types.ts), so validation
 * can stand a value of that type in for a value known only after apply: `{ output: …, type: vpc-id }`,
 * `{ field: …, type: aws-region }`, `{ value: <literal>, type: https-url }`.
 */
function readClusterVars(r: FieldReader, value: unknown): { sources: Record<string, ValueSource>; types: Record<string, VarTypeName> } {
  const sources: Record<string, ValueSource> = {};
  const types: Record<string, VarTypeName> = {};
  if (value === undefined) return { sources, types };
  const map = r.map(value, 'clusterVars', CLUSTER_VAR, 'a snake_case variable name (Flux ${var})');
  const typeNames = Object.keys(VAR_TYPES) as VarTypeName[];
  for (const [key, v] of Object.entries(map ?? {})) {
    const p = childPath('clusterVars', key);
    const obj = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    if (!obj || !('type' in obj)) {
      r.error(
        p,
        `declare the variable's type: { field | output | value: …, type: <type> } with a type of ${typeNames.join(', ')} ` +
          `(validation checks the manifests with a value of that type where the value is known only after apply)`,
      );
      continue;
    }
    const type = r.oneOf(obj.type, childPath(p, 'type'), typeNames);
    const { type: _type, ...rest } = obj;
    void _type;
    let source: ValueSource | undefined;
    if ('value' in rest) {
      r.object(rest, p, ['value'], ['value']);
      const literal = rest.value;
      if (typeof literal === 'string' || typeof literal === 'number' || typeof literal === 'boolean') source = { kind: 'literal', value: String(literal) };
      else r.error(childPath(p, 'value'), `expected a string, number or true/false, got ${describeValue(literal)}`);
    } else source = readSource(r, rest, p);
    if (source && type) {
      sources[key] = source;
      types[key] = type;
    }
  }
  return { sources, types };
}

function readSources(r: FieldReader, value: unknown, p: string, keyPattern: RegExp, keyExpected: string) {
  const out: Record<string, ValueSource> = {};
  if (value === undefined) return out;
  const map = r.map(value, p, keyPattern, keyExpected);
  for (const [key, v] of Object.entries(map ?? {})) {
    const source = readSource(r, v, childPath(p, key));
    if (source) out[key] = source;
  }
  return out;
}

function readStacks(r: FieldReader, value: unknown, p: string): StackSpec[] {
  const stacks: StackSpec[] = [];
  const seen = new Map<string, string>();
  (r.list(value, p, 'stacks') ?? []).forEach((item, i) => {
    const sp = childPath(p, i);
    const obj = r.object(item, sp, STACK_KEYS, ['name']);
    if (!obj) return;
    const name = r.string(obj.name, childPath(sp, 'name'), STACK_NAME, 'a stack name in kebab-case (e.g. network)');
    const template = r.optionalString(obj.template, childPath(sp, 'template'), STACK_NAME, 'a template name (stacks/<template>.yaml)');
    const deployRegion = r.optionalString(
      obj.deployRegion,
      childPath(sp, 'deployRegion'),
      /^(hub|[a-z]{2}(-[a-z]+)+-\d)$/,
      'hub or a region name',
    );
    const dependsOn: string[] = [];
    if (obj.dependsOn !== undefined) {
      (r.list(obj.dependsOn, childPath(sp, 'dependsOn'), 'stack names') ?? []).forEach((d, j) => {
        const dep = r.string(d, childPath(childPath(sp, 'dependsOn'), j), STACK_NAME, 'a stack name of this region');
        if (dep) dependsOn.push(dep);
      });
    }
    const parameters = readSources(r, obj.parameters, childPath(sp, 'parameters'), PARAMETER_NAME, 'a CloudFormation parameter name (letters and digits)');
    if (!name) return;
    if (seen.has(name)) {
      r.error(childPath(sp, 'name'), `stack "${name}" is declared twice (also at ${seen.get(name)}); stack names must be unique in a file`);
      return;
    }
    seen.set(name, sp);
    stacks.push({
      name,
      template: template ?? name,
      ...(deployRegion ? { deployRegion } : {}),
      dependsOn,
      parameters,
      line: r.lineOf(sp),
    });
  });
  return stacks;
}

const LICENSES = ['none', 'premium', 'enterprise'] as const;
const GITHUB_ORG = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** `coder:` of platform.yaml; the rules are Coder's (cli/server.go configureGithubOAuth2). */
function readCoder(r: FieldReader, value: unknown): CoderConfig {
  if (value === undefined) return { license: 'none' };
  const o = r.object(value, 'coder', ['license', 'github', 'version'], ['license']);
  const license = o ? r.oneOf(o.license, 'coder.license', LICENSES) : undefined;
  const version =
    o?.version === undefined
      ? undefined
      : r.string(o.version, 'coder.version', CHART_VERSION, "Coder's chart version, e.g. \"2.27.1\" (quoted)");
  let github: CoderConfig['github'];
  if (o?.github !== undefined) {
    const g = r.object(o.github, 'coder.github', ['allowedOrgs', 'allowEveryone']);
    if (g) {
      const allowEveryone = g.allowEveryone === undefined ? false : r.boolean(g.allowEveryone, 'coder.github.allowEveryone');
      const allowedOrgs: string[] = [];
      if (g.allowedOrgs !== undefined) {
        (r.list(g.allowedOrgs, 'coder.github.allowedOrgs', 'GitHub organisation names') ?? []).forEach((item, i) => {
          const org = r.string(item, childPath('coder.github.allowedOrgs', i), GITHUB_ORG, 'a GitHub organisation name');
          if (org) allowedOrgs.push(org);
        });
      }
      if (allowEveryone && allowedOrgs.length > 0) {
        r.error('coder.github', 'allowEveryone and allowedOrgs cannot be used together (Coder refuses to start: "allow everyone and allowed orgs cannot be used together"); keep one');
      } else if (allowEveryone === false && allowedOrgs.length === 0) {
        r.error(
          'coder.github',
          'expected allowedOrgs (at least one organisation) or allowEveryone: true; with neither Coder exits at start ("allowed orgs is empty: must specify at least one org or allow everyone")',
        );
      }
      github = { allowedOrgs, allowEveryone: allowEveryone === true };
    }
  }
  return { license: license ?? 'none', ...(github ? { github } : {}), ...(version ? { version } : {}) };
}

function readPlatform(r: FieldReader, value: unknown): PlatformConfig | undefined {
  const required = PLATFORM_KEYS.filter((k) => k !== 'thresholds' && k !== 'allowedSources' && k !== 'coder');
  const o = r.object(value, '', PLATFORM_KEYS, required);
  if (!o) return undefined;
  const errorsBefore = r.errors.length;
  const project = r.string(o.project, 'project', STACK_NAME, 'a lower-case name (letters, digits, dashes)');
  const domain = r.string(o.domain, 'domain', /^([a-z0-9-]+\.)+[a-z]{2,}$/, 'a domain name such as coderdemo.io');
  const accountId =
    typeof o.accountId === 'number'
      ? (r.error('accountId', 'expected a quoted 12-digit string such as "123456789012" (unquoted, YAML reads a number and drops leading zeros)'), undefined)
      : r.string(o.accountId, 'accountId', /^\d{12}$/, 'a quoted 12-digit AWS account id');
  const hostedZoneId = r.string(o.hostedZoneId, 'hostedZoneId', /^Z[A-Z0-9]{1,32}$/, 'a Route 53 hosted zone id (Z…)');
  const hubRegion = r.string(o.hubRegion, 'hubRegion', REGION_PATTERN, 'a region name such as us-east-2');
  const gh = r.object(o.github, 'github', ['repository', 'branch'], ['repository', 'branch']);
  const repository = gh && r.string(gh.repository, 'github.repository', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name');
  const branch = gh && r.string(gh.branch, 'github.branch');
  const fx = r.object(o.flux, 'flux', ['version'], ['version']);
  const fluxVersion = fx && r.string(fx.version, 'flux.version', /^v\d+\.\d+\.\d+$/, 'an exact Flux version such as v2.6.4');
  const acc = r.object(o.account, 'account', ['region', 'stacks'], ['region', 'stacks']);
  const accountRegion = acc && r.string(acc.region, 'account.region', REGION_PATTERN, 'a region name such as us-east-2');
  const accountStacks = acc ? readStacks(r, acc.stacks, 'account.stacks') : [];
  const vantagePoints: VantagePoint[] = [];
  (r.list(o.vantagePoints, 'vantagePoints', 'vantage points') ?? []).forEach((item, i) => {
    const p = childPath('vantagePoints', i);
    const v = r.object(item, p, ['name', 'clientSubnet', 'expectedRegions'], ['name', 'clientSubnet', 'expectedRegions']);
    if (!v) return;
    const name = r.string(v.name, childPath(p, 'name'));
    const clientSubnet = r.string(v.clientSubnet, childPath(p, 'clientSubnet'));
    if (clientSubnet && !parseCidr(clientSubnet)) {
      r.error(childPath(p, 'clientSubnet'), `expected an IPv4 CIDR such as 3.128.0.0/24, got "${clientSubnet}"`);
    }
    const expectedRegions: string[] = [];
    const list = r.list(v.expectedRegions, childPath(p, 'expectedRegions'), 'region names, nearest first') ?? [];
    if (Array.isArray(v.expectedRegions) && list.length === 0) {
      r.error(childPath(p, 'expectedRegions'), 'expected at least one region');
    }
    list.forEach((e, j) => {
      const region = r.string(e, childPath(childPath(p, 'expectedRegions'), j), REGION_PATTERN, 'a region name');
      if (region) expectedRegions.push(region);
    });
    if (name && clientSubnet) vantagePoints.push({ name, clientSubnet, expectedRegions });
  });
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS };
  if (o.thresholds !== undefined) {
    const keys = Object.keys(DEFAULT_THRESHOLDS) as (keyof Thresholds)[];
    const t = r.object(o.thresholds, 'thresholds', keys);
    for (const key of keys) {
      if (t?.[key] === undefined) continue;
      const n = r.integer(t[key], childPath('thresholds', key), 1);
      if (n !== undefined) thresholds[key] = n;
    }
    if (thresholds.tlsFailDays >= thresholds.tlsWarnDays) {
      r.error('thresholds.tlsFailDays', `expected fewer days than tlsWarnDays (${thresholds.tlsWarnDays}), got ${thresholds.tlsFailDays}`);
    }
  }
  const cs = r.object(o.coldStart, 'coldStart', ['path'], ['path']);
  const coldPath = cs && r.string(cs.path, 'coldStart.path', /^\/\S*$/, 'a URL path starting with /, e.g. /api/v2/users/first');
  const lb = r.object(o.loadBalancer, 'loadBalancer', ['serviceNamespace', 'serviceName', 'listenerPorts'], ['serviceNamespace', 'serviceName']);
  const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const serviceNamespace = lb && r.string(lb.serviceNamespace, 'loadBalancer.serviceNamespace', K8S_NAME, 'a Kubernetes namespace name');
  const serviceName = lb && r.string(lb.serviceName, 'loadBalancer.serviceName', K8S_NAME, 'a Kubernetes Service name');
  // The ports the NLB listens on for everyone: an ingress from anywhere on any other port is a network opening.
  const listenerPorts =
    lb?.listenerPorts === undefined
      ? [443]
      : (r.list(lb.listenerPorts, 'loadBalancer.listenerPorts', 'TCP ports, e.g. [443]') ?? []).map((p, i) => {
          const port = r.integer(p, childPath('loadBalancer.listenerPorts', i), 1);
          if (port !== undefined && port > 65535) r.error(childPath('loadBalancer.listenerPorts', i), `expected a TCP port 1-65535, got ${port}`);
          return port ?? 0;
        });
  const allowedSources = o.allowedSources === undefined ? undefined : readAllowedSources(r, o.allowedSources);
  const coder = readCoder(r, o.coder);
  if (r.errors.length > errorsBefore) return undefined;
  return {
    file: r.file,
    ...(allowedSources ? { allowedSources } : {}),
    project: project!,
    domain: domain!,
    accountId: accountId!,
    hostedZoneId: hostedZoneId!,
    hubRegion: hubRegion!,
    github: { repository: repository!, branch: branch! },
    flux: { version: fluxVersion! },
    account: { region: accountRegion!, stacks: accountStacks },
    vantagePoints,
    thresholds,
    coldStart: { path: coldPath! },
    loadBalancer: { serviceNamespace: serviceNamespace!, serviceName: serviceName!, listenerPorts },
    coder,
  };
}

/** `allowedSources`: https:// or oci:// URL prefixes, no credentials, query or fragment. */
function readAllowedSources(r: FieldReader, value: unknown): string[] {
  const out: string[] = [];
  (r.list(value, 'allowedSources', 'URL prefixes') ?? []).forEach((item, i) => {
    const at = childPath('allowedSources', i);
    const entry = r.string(item, at);
    if (entry === undefined) return;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || !['https:', 'oci:'].includes(url.protocol) || !url.host || url.username || url.password || url.search || url.hash) {
      r.error(
        at,
        `expected an https:// or oci:// URL prefix without credentials, query or fragment (e.g. https://charts.jetstack.io or oci://public.ecr.aws/karpenter), got "${entry}"`,
      );
      return;
    }
    out.push(entry);
  });
  return out;
}

function readRegion(r: FieldReader, value: unknown, name: string): RegionConfig | undefined {
  const o = r.object(value, '', REGION_KEYS, ['region', 'role', 'coder', 'enabled', 'wave', 'vpcCidr', 'stacks']);
  if (!o) return undefined;
  const errorsBefore = r.errors.length;
  const region = r.string(o.region, 'region', REGION_PATTERN, 'a region name such as us-west-2');
  if (region && region !== name) {
    r.error('region', `expected "${name}" (the file name), got "${region}"`);
  }
  const role = r.oneOf(o.role, 'role', ['hub', 'spoke'] as const);
  // Which Coder runs here (types.ts, CoderMode); the rules across regions are src/gitops/validate-coder.ts.
  const coder = r.oneOf(o.coder, 'coder', CODER_MODES);
  const enabled = r.boolean(o.enabled, 'enabled');
  const wave = r.integer(o.wave, 'wave', 1);
  const vpcCidr = r.string(o.vpcCidr, 'vpcCidr');
  if (vpcCidr && !parseCidr(vpcCidr)) {
    r.error('vpcCidr', `expected an IPv4 CIDR with zero host bits such as 10.1.0.0/16, got "${vpcCidr}"`);
  }
  const stacks = readStacks(r, o.stacks, 'stacks');
  const { sources: clusterVars, types: clusterVarTypes } = readClusterVars(r, o.clusterVars);
  if (r.errors.length > errorsBefore) return undefined;
  return { file: r.file, name, role: role!, coder: coder!, enabled: enabled!, wave: wave!, vpcCidr: vpcCidr!, stacks, clusterVars, clusterVarTypes };
}

async function listYaml(dir: string, rel: string, errors: ConfigurationError[], gitopsDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    errors.push(new ConfigurationError(`missing folder: ${rel}/ must exist`, { file: displayPath(gitopsDir, dir) }));
    return [];
  }
  const out: string[] = [];
  for (const entry of entries.sort()) {
    if (entry.endsWith('.yml')) {
      errors.push(
        new ConfigurationError(`files here are read only as <name>.yaml; rename to ${entry.slice(0, -4)}.yaml`, {
          file: displayPath(gitopsDir, path.join(dir, entry)),
        }),
      );
    } else if (entry.endsWith('.yaml')) out.push(entry);
  }
  return out;
}

async function readText(file: string, shown: string, errors: ConfigurationError[]): Promise<string | undefined> {
  try {
    return await readRegularFile(file, shown);
  } catch (err) {
    if (err instanceof ConfigurationError) {
      errors.push(err);
      return undefined;
    }
    const code = (err as { code?: string }).code;
    errors.push(new ConfigurationError(code === 'ENOENT' ? 'file is missing' : `cannot read file (${code ?? 'error'})`, { file: shown }));
    return undefined;
  }
}

function asConfigurationError(err: unknown, file: string): ConfigurationError {
  return err instanceof ConfigurationError ? err : new ConfigurationError(errorMessage(err), { file });
}

/** Loads `gitops/` (platform.yaml, regions/*.yaml, stacks/*.yaml); throws ConfigurationErrors listing every schema problem. */
export async function loadGitops(dir: string): Promise<GitopsConfig> {
  const root = path.resolve(dir);
  const errors: ConfigurationError[] = [];
  const show = (abs: string) => displayPath(root, abs);

  let platform: PlatformConfig | undefined;
  const platformFile = path.join(root, 'platform.yaml');
  const platformText = await readText(platformFile, show(platformFile), errors);
  if (platformText !== undefined) {
    try {
      const doc = parseYamlDocument(platformText, show(platformFile));
      platform = readPlatform(new FieldReader(show(platformFile), doc.lines, errors), doc.value);
    } catch (err) {
      errors.push(asConfigurationError(err, show(platformFile)));
    }
  }

  const regions: RegionConfig[] = [];
  const regionsDir = path.join(root, 'regions');
  for (const entry of await listYaml(regionsDir, 'regions', errors, root)) {
    const file = path.join(regionsDir, entry);
    const name = entry.slice(0, -'.yaml'.length);
    if (!REGION_PATTERN.test(name)) {
      errors.push(new ConfigurationError(`region files are named <region>.yaml (e.g. us-west-2.yaml), got ${entry}`, { file: show(file) }));
      continue;
    }
    const text = await readText(file, show(file), errors);
    if (text === undefined) continue;
    try {
      const doc = parseYamlDocument(text, show(file));
      const region = readRegion(new FieldReader(show(file), doc.lines, errors), doc.value, name);
      if (region) regions.push(region);
    } catch (err) {
      errors.push(asConfigurationError(err, show(file)));
    }
  }
  regions.sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));

  const templates = new Map<string, string>();
  const stacksDir = path.join(root, 'stacks');
  for (const entry of await listYaml(stacksDir, 'stacks', errors, root)) {
    const file = path.join(stacksDir, entry);
    const text = await readText(file, show(file), errors);
    if (text === undefined) continue;
    try {
      parseTemplate(text, show(file));
      templates.set(entry.slice(0, -'.yaml'.length), text);
    } catch (err) {
      errors.push(asConfigurationError(err, show(file)));
    }
  }

  if (errors.length > 0 || !platform) throw new ConfigurationErrors(errors);
  return { dir: root, platform, regions, templates };
}
