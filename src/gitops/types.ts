/**
 * The configuration model of `gitops/`: what `platform.yaml` and `regions/<region>.yaml` hold once
 * loaded and validated. YAML keys are camelCase, exactly these names.
 */

/**
 * Where a value comes from (stack parameters and cluster variables):
 * - a scalar (string, number, boolean): a literal;
 * - `{ field: <name> }`: a field of the region or the platform (see {@link FIELD_NAMES});
 * - `{ output: "<stack>.<OutputKey>" }`: an output of one of this region's stacks;
 *   with `region: hub` (or a region name) an output of that region's stack instead.
 */
export type ValueSource =
  | { kind: 'literal'; value: string }
  | { kind: 'field'; field: FieldName }
  | { kind: 'output'; stack: string; outputKey: string; region?: string };

/** Fields a `{ field: … }` source may name. */
export const FIELD_NAMES = [
  'region', // the region's name, e.g. us-west-2
  'role', // hub | spoke
  'coder', // primary | proxy | replica (CoderMode)
  'wave',
  'vpcCidr',
  'project',
  'domain',
  'accountId',
  'hostedZoneId',
  'hubRegion',
  'hubVpcCidr',
  'allVpcCidrs', // comma-joined CIDRs of every region declared (for the database security group)
  'githubRepository', // owner/name
  'clusterName', // <project>-<region>
  'stackPrefix', // <project>-<region>
  'coderGithubAllowedOrgs', // comma-joined coder.github.allowedOrgs (CODER_OAUTH2_GITHUB_ALLOWED_ORGS), "" when allowEveryone
  'coderGithubAllowEveryone', // "true" | "false" (CODER_OAUTH2_GITHUB_ALLOW_EVERYONE)
  'coderHealthCheckPath', // what the region's Route 53 health check probes, by Coder mode (coder-topology.ts)
  'coderPrimaryAccessUrl', // https://<primary region>.<domain>: how proxies and provisioners reach the primary (coder-topology.ts)
  'coderProvisionerDaemons', // built-in provisioners per Coder replica: "3" without a licence, "0" with one (external provisioners)
  'coderVersion', // platform.yaml coder.version: the chart version of every Coder HelmRelease (${coder_version}), set per region by apply-region
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export interface VantagePoint {
  /** Short name shown in the routing matrix (e.g. `ohio`). */
  name: string;
  /** Client subnet sent as EDNS Client Subnet, e.g. `3.128.0.0/24`. */
  clientSubnet: string;
  /**
   * Regions latency routing should answer for this subnet, nearest first: the first one that is
   * enabled (and promoted) is the expected answer, so a vantage point in London expects us-east-2
   * while eu-west-2 is switched off.
   */
  expectedRegions: string[];
}

export interface Thresholds {
  tlsWarnDays: number; // default 21
  tlsFailDays: number; // default 7
  coldStartBudgetMs: number; // default 10000
  warmP95BudgetMs: number; // default 100
  warmRequests: number; // default 10
  httpTimeoutMs: number; // default 15000
}

/**
 * What Coder's own startup and licence checks need from the platform (`platform.yaml` → `coder`).
 * Source of the rules: Coder's cli/server.go (configureGithubOAuth2: a GitHub client id with neither
 * allowed orgs nor allow-everyone is fatal; both together are fatal too) and
 * enterprise/coderd/provisionerdaemons.go (external provisioner daemons need the licence feature
 * `external_provisioner_daemons`).
 */
export interface CoderConfig {
  /** `none`: built-in provisioners only; `premium`/`enterprise`: a licence added with `coder licenses add`, external provisioners per region. */
  license: 'none' | 'premium' | 'enterprise';
  /** GitHub sign-in: exactly one of a non-empty `allowedOrgs` or `allowEveryone: true`. */
  github?: { allowedOrgs: string[]; allowEveryone: boolean };
  /**
   * The Coder release every region runs (chart version of coder and coder-provisioner, e.g. `2.27.1`),
   * declared once; apply-region writes it per region as `coder_version`, primary first (src/gitops/coder-version.ts).
   */
  version?: string;
}

/** Built-in provisioner daemons per Coder replica: Coder's default (3) without a licence, none when external provisioners run. */
export function provisionerDaemonsFor(coder: CoderConfig): number {
  return coder.license === 'none' ? 3 : 0;
}

export interface PlatformConfig {
  file: string;
  project: string; // e.g. coderdemo (stack names: <project>-<region>-<stack>)
  domain: string; // coderdemo.io
  accountId: string; // 12 digits
  hostedZoneId: string; // the existing zone; no stack creates it
  hubRegion: string;
  github: { repository: string; branch: string }; // owner/name, main
  flux: { version: string }; // e.g. v2.6.4
  /** Account-level stacks (github-oidc), planned with every PR, applied by a person (`apply --account`). */
  account: { region: string; stacks: StackSpec[] };
  vantagePoints: VantagePoint[];
  thresholds: Thresholds;
  coldStart: { path: string }; // a Coder endpoint that touches the database, e.g. /api/v2/users/first
  /** How apply-region finds the NLB the load balancer controller made for Coder. */
  /** `listenerPorts`: the NLB's public listener ports (default [443]); ingress from anywhere elsewhere is flagged. */
  loadBalancer: { serviceNamespace: string; serviceName: string; listenerPorts: number[] };
  /**
   * URL prefixes Flux and the plan may fetch from (Helm/OCI/Git repositories). The plan trusts only main's
   * list (src/fetch/allowed-fetch.ts); undefined when platform.yaml has no `allowedSources`.
   */
  allowedSources?: string[];
  /** Coder's licence and sign-in settings (optional key; default: no licence, no GitHub sign-in). */
  coder: CoderConfig;
}

export interface StackSpec {
  /** Name within the region; the stack is `<project>-<region>-<name>`. */
  name: string;
  /** Template under `stacks/`, without `.yaml` (default: `name`). */
  template: string;
  /** Region the stack is deployed in (default: the region itself; the hub for the hub-side peering routes). */
  deployRegion?: string;
  /** Stacks of this region that must be applied first (also implied by `{ output }` sources). */
  dependsOn: string[];
  parameters: Record<string, ValueSource>;
  /** 1-based line of this stack entry in its file, when known. */
  line?: number;
}

/**
 * How a region runs Coder (`coder:` in `regions/<region>.yaml`), Coder's own topology:
 * - `primary`: the control plane (coderd, dashboard and API) next to the shared database; exactly one
 *   among enabled regions, and it is the hub;
 * - `proxy`: a workspace proxy (`coder wsproxy`, the chart's `coder.workspaceProxy: true`) registered with
 *   the primary, serving workspace apps on `*.<region>.<domain>`; no database access needed;
 * - `replica`: another full coderd on the shared database (Coder's high availability): needs the licence
 *   (premium/enterprise) and port 8080 open between the VPCs for replica relay (src/gitops/validate-coder.ts).
 */
export const CODER_MODES = ['primary', 'proxy', 'replica'] as const;
export type CoderMode = (typeof CODER_MODES)[number];

export interface RegionConfig {
  file: string;
  name: string; // file name without .yaml; must equal the `region` key
  role: 'hub' | 'spoke';
  /** How this region runs Coder (see {@link CoderMode}). */
  coder: CoderMode;
  enabled: boolean;
  wave: number; // 1 = first; the hub is in wave 1
  vpcCidr: string;
  stacks: StackSpec[];
  /** `${var}` names in Flux manifests → where their value comes from; written as the `cluster-vars` ConfigMap. */
  clusterVars: Record<string, ValueSource>;
  /** The declared type of each cluster variable (`type:` in the region file; src/gitops/validate-var-types.ts). */
  clusterVarTypes?: Record<string, string>;
}

export interface GitopsConfig {
  /** Absolute path of the gitops directory. */
  dir: string;
  platform: PlatformConfig;
  /** By region name, sorted by wave then name. */
  regions: RegionConfig[];
  /** Template body (raw text) by template name. */
  templates: Map<string, string>;
}

/** `<project>-<region>-<stack>`. */
export function stackName(project: string, region: string, stack: string): string {
  return `${project}-${region}-${stack}`;
}

/** The role CloudFormation acts with for every regional stack (created by the github-oidc stack). */
export function cloudFormationRoleArn(platform: Pick<PlatformConfig, 'accountId' | 'project'>): string {
  return `arn:aws:iam::${platform.accountId}:role/${platform.project}-cloudformation`;
}
