import { healthCheckPath, primaryAccessUrl } from './coder-topology.js';
import { provisionerDaemonsFor, type FieldName, type GitopsConfig, type RegionConfig, type StackSpec, type ValueSource } from './types.js';

/** A source's value, or why it is not known yet (an output of a stack not applied). */
export type Resolved = { known: true; value: string } | { known: false; reason: string };

/** Stack outputs by region (the region file the stack belongs to) and stack name within it; undefined when none yet. */
export type OutputLookup = (region: string, stack: string) => Record<string, string> | undefined;

export interface ResolveEnv {
  config: GitopsConfig;
  outputs: OutputLookup;
}

export interface ResolveContext extends ResolveEnv {
  /** The region whose file declares the source. */
  region: RegionConfig;
}

/** The region a stack is deployed in: its `deployRegion` (`hub` → the hub region) or the region itself. */
export function deployRegionOf(stack: StackSpec, region: RegionConfig, config: GitopsConfig): string {
  if (stack.deployRegion === 'hub') return config.platform.hubRegion;
  return stack.deployRegion ?? region.name;
}

/** The region an `{ output }` source reads from (`hub` → the hub region; none → the declaring region). */
export function outputRegionOf(
  source: { region?: string },
  region: RegionConfig,
  config: GitopsConfig,
): string {
  if (source.region === 'hub') return config.platform.hubRegion;
  return source.region ?? region.name;
}

function fieldValue(field: FieldName, ctx: ResolveContext): Resolved {
  const { platform, regions } = ctx.config;
  const known = (value: string): Resolved => ({ known: true, value });
  switch (field) {
    case 'region':
      return known(ctx.region.name);
    case 'role':
      return known(ctx.region.role);
    case 'coder':
      return known(ctx.region.coder);
    case 'coderHealthCheckPath':
      return known(healthCheckPath(ctx.region));
    case 'coderPrimaryAccessUrl':
      return known(primaryAccessUrl(ctx.config));
    case 'wave':
      return known(String(ctx.region.wave));
    case 'vpcCidr':
      return known(ctx.region.vpcCidr);
    case 'project':
      return known(platform.project);
    case 'domain':
      return known(platform.domain);
    case 'accountId':
      return known(platform.accountId);
    case 'hostedZoneId':
      return known(platform.hostedZoneId);
    case 'hubRegion':
      return known(platform.hubRegion);
    case 'hubVpcCidr': {
      const hub = regions.find((r) => r.name === platform.hubRegion);
      return hub
        ? known(hub.vpcCidr)
        : { known: false, reason: `the hub region ${platform.hubRegion} has no regions/${platform.hubRegion}.yaml` };
    }
    case 'allVpcCidrs':
      return known(
        [...regions]
          .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name))
          .map((r) => r.vpcCidr)
          .join(','),
      );
    case 'githubRepository':
      return known(platform.github.repository);
    case 'clusterName':
    case 'stackPrefix':
      return known(`${platform.project}-${ctx.region.name}`);
    case 'coderGithubAllowedOrgs':
    case 'coderGithubAllowEveryone': {
      const github = platform.coder.github;
      if (!github) return { known: false, reason: `${platform.file} has no coder.github (allowedOrgs or allowEveryone)` };
      return known(field === 'coderGithubAllowEveryone' ? String(github.allowEveryone) : github.allowedOrgs.join(','));
    }
    case 'coderProvisionerDaemons':
      return known(String(provisionerDaemonsFor(platform.coder)));
    case 'coderVersion':
      return platform.coder.version
        ? known(platform.coder.version)
        : { known: false, reason: `${platform.file} has no coder.version (the Coder chart version every region runs)` };
  }
}

/** The value of one source in a region, or why it is not known yet. */
export function resolveSource(source: ValueSource, ctx: ResolveContext): Resolved {
  switch (source.kind) {
    case 'literal':
      return { known: true, value: source.value };
    case 'field':
      return fieldValue(source.field, ctx);
    case 'output': {
      const region = outputRegionOf(source, ctx.region, ctx.config);
      const value = ctx.outputs(region, source.stack)?.[source.outputKey];
      return value === undefined
        ? { known: false, reason: `known after apply (${source.stack}.${source.outputKey} in ${region})` }
        : { known: true, value };
    }
  }
}

/** Every parameter of a stack, resolved. */
export function resolveStackParameters(stack: StackSpec, ctx: ResolveContext): Record<string, Resolved> {
  const out: Record<string, Resolved> = {};
  for (const [key, source] of Object.entries(stack.parameters)) out[key] = resolveSource(source, ctx);
  return out;
}

/** Every cluster variable of a region (the `cluster-vars` ConfigMap), resolved. */
export function resolveClusterVars(region: RegionConfig, env: ResolveEnv): Record<string, Resolved> {
  const out: Record<string, Resolved> = {};
  const ctx = { ...env, region };
  for (const [key, source] of Object.entries(region.clusterVars)) out[key] = resolveSource(source, ctx);
  return out;
}

/**
 * The region account-level stacks resolve `{ field }` sources against: the region file of
 * `account.region` when there is one, else a stand-in holding only the account stacks.
 */
export function accountRegion(config: GitopsConfig): RegionConfig {
  const { account } = config.platform;
  const existing = config.regions.find((r) => r.name === account.region);
  return {
    file: config.platform.file,
    name: account.region,
    role: existing?.role ?? 'spoke',
    coder: existing?.coder ?? 'proxy',
    enabled: true,
    wave: 0,
    vpcCidr: existing?.vpcCidr ?? '',
    stacks: account.stacks,
    clusterVars: {},
  };
}
