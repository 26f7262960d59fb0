import type { WhatIfRouting } from './what-if-routing.js';
import type { FetchRecord } from '../fetch/allowed-fetch.js';
import type { Risk } from '../aws/cloudformation/change-set-identity.js';
import type { ResourceDrift } from '../drift/drift-types.js';
import type { IamChangeSummary, ResourceChange, RiskFinding } from '../review/review-types.js';
import type { RolloutEstimate } from './rollout-estimate.js';
import type { CoderUpgradeOrder } from '../review/domain-rules.js';

// Defined by the review module (plan and apply judge changes with the same types); named here for the
// plan's own readers.
export type { IamChangeSummary, ResourceChange, RiskFinding };

export interface ParameterChange {
  key: string;
  before?: string;
  /** undefined when not known until an earlier stack is applied. */
  after?: string;
  known: boolean;
  /** Why not known: `known after apply (network.VpcId in us-east-2)`. */
  reason?: string;
}

export interface StackPlan {
  region: string;
  /** Region the stack lives in (the hub for a spoke's hub-routes). */
  deployRegion: string;
  stack: string;
  stackName: string;
  template: string;
  status: 'create' | 'update' | 'no-changes' | 'failed' | 'offline' | 'blocked';
  changeSetName?: string;
  changeSetId?: string;
  /** FAILED change set reason, or why the stack could not be planned online. */
  reason?: string;
  changes: ResourceChange[];
  parameters: ParameterChange[];
  /** Unified template diff base → head (from @aws-cdk/cloudformation-diff), '' when identical. */
  templateDiff: string;
  /** Hash of template + resolved parameters (change-set-identity.ts), when all parameters are known. */
  hash?: string;
  risk: Risk;
  findings: RiskFinding[];
  /** IAM changes (template diff statements merged with the change set's before/after policy values). */
  iam?: IamChangeSummary;
  /** The last drift detection on the deployed stack, read only (the plan role starts none). */
  lastDrift?: LastStackDrift;
}

/** DescribeStacks' drift status and, when DRIFTED, DescribeStackResourceDrifts' MODIFIED/DELETED resources. */
export interface LastStackDrift {
  /** `DRIFTED` | `IN_SYNC` | `NOT_CHECKED` | `UNKNOWN`. */
  status: string;
  lastCheckedAt?: string;
  resources: ResourceDrift[];
  /** Why the resources could not be read. */
  error?: string;
}

export interface FluxFieldChange {
  path: string;
  before?: string;
  after?: string;
}

export interface FluxObjectChange {
  region: string;
  /** The Flux Kustomization that applies it (`infra-controllers`, `apps`, `flux-system`). */
  kustomization: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  action: 'added' | 'removed' | 'changed';
  /** For removals: whether the Kustomization's `prune: true` deletes it from the cluster. */
  prunes?: boolean;
  fields: FluxFieldChange[];
  chart?: { name: string; from?: string; to?: string };
  images?: { from?: string; to?: string }[];
}

export interface DnsChange {
  region: string;
  /** `coderdemo.io`, `*.coderdemo.io`, `us-west-2.coderdemo.io`, health check ids… */
  record: string;
  kind: 'latency-alias' | 'region-alias' | 'health-check';
  action: 'add' | 'change' | 'remove';
  reason: string;
}

export interface ClusterVarChange {
  region: string;
  name: string;
  before?: string;
  after?: string;
  known: boolean;
  reason?: string;
}

/** Whether a chart or image version the pull request asks for exists in its source (src/plan/source-versions.ts). */
export interface SourceVersionCheck {
  region: string;
  /** The object asking for it: `HelmRelease kube-system/karpenter`, `OCIRepository kube-system/karpenter`. */
  subject: string;
  kind: 'helm-chart' | 'oci-artifact' | 'image';
  /** Where it is looked for: a HelmRepository URL, `oci://host/repository`. */
  source: string;
  version: string;
  /** As shown: `oci://public.ecr.aws/karpenter/karpenter:1.15.0`, `https://charts… karpenter 1.15.0`. */
  reference: string;
  outcome: 'exists' | 'missing' | 'not-checked';
  /** What answered (exists, missing) or why it could not be checked. */
  reason: string;
}

export interface RegionPlan {
  region: string;
  enabled: boolean;
  stacks: StackPlan[];
  flux: FluxObjectChange[];
  dns: DnsChange[];
  clusterVars: ClusterVarChange[];
  /** HelmReleases rendered with helm at base and head (src/plan/rendered-diff.ts); absent when none changed. */
  charts?: ChartsPlan;
  risk: Risk;
  findings: RiskFinding[];
  /** Chart and image versions the pull request adds or changes, checked against their sources. */
  sourceVersions?: SourceVersionCheck[];
  /** Modeled rollout time of the stacks this plan applies (src/plan/rollout-estimate.ts): an estimate. */
  estimate?: RolloutEstimate;
}

export interface PlanReport {
  mode: 'online' | 'offline';
  /** Why offline: fork pull request, no credentials… */
  offlineReason?: string;
  headSha: string;
  baseRef: string;
  /** Account-level stacks (github-oidc), shown first. */
  account: StackPlan[];
  regions: RegionPlan[];
  hasChanges: boolean;
  risk: Risk;
  findings: RiskFinding[];
  /** Configuration or template problems that stopped (part of) the plan. */
  errors: { message: string; file?: string; line?: number }[];
  /** API calls made, by Service.Operation. */
  apiCalls: Record<string, number>;
  durationMs: number;
  /** What the plan fetched (or refused to) through main's allow-list, and why. */
  fetches?: FetchRecord[];
  /** Who answers each vantage point today, after the merge and per region down: when a region is added or drained. */
  whatIfRouting?: WhatIfRouting;
  /** A change of platform.yaml coder.version: the order apply-region upgrades the regions in. */
  coderUpgrade?: CoderUpgradeOrder;
}

/** One side of a rendered chart: what was rendered, from where. */
export interface ChartSide {
  chart: string;
  version: string;
  /** `HelmRepository coder/coder-v2 (https://helm.coder.com/v2)`. */
  source: string;
  /** sha256 of the archive (HTTP repository) or the OCI manifest digest. */
  digest?: string;
}

/** A HelmRelease whose chart, values or source changed, rendered with helm at base and head and diffed. */
export interface ChartRelease {
  region: string;
  /** `namespace/name` of the HelmRelease. */
  release: string;
  kustomization: string;
  status: 'rendered' | 'not-rendered';
  /** Why not rendered: helm missing, a source not allow-listed, unreachable, a chart helm refused. */
  reason?: string;
  /** Why not rendered, as a kind: the plan's findings and tests key on it. */
  problem?: 'helm-missing' | 'not-allowed' | 'unreachable' | 'unresolved' | 'render-failed' | 'no-source';
  before?: ChartSide;
  after?: ChartSide;
  /** The rendered objects that change, diffed like the Flux objects (`kustomization` is `HelmRelease ns/name`). */
  changes: FluxObjectChange[];
  /** CustomResourceDefinitions among `changes`, called out: `name (added|changed|removed)`. */
  crds: string[];
  /** Container images that change in the rendered objects. */
  images: { from?: string; to?: string }[];
  /** Values keys (head) the chart's default values do not have: Helm ignores them. */
  unknownValues: string[];
  /** The head HelmRelease's `spec.upgrade.crds` (helm-controller's default is Skip). */
  upgradeCrds?: string;
  /** `spec.valuesFrom` entries the plan could not read (values in the cluster). */
  valuesFromIgnored?: number;
  /** An OCI source pinned by digest whose tag now resolves to another digest. */
  tagMoved?: { source: string; tag: string; pinned: string; now: string };
  /** An OCI source with a tag or semver and no digest: what Flux pulls can change under the same spec. */
  unpinned?: { source: string; ref: string; digest?: string };
}

/** The charts of one region, rendered (or why not). */
export interface ChartsPlan {
  /** helm used (`v4.1.4 at /usr/bin/helm`), when found. */
  helm?: string;
  releases: ChartRelease[];
}
