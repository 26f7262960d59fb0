import type { WhatIfRouting } from './what-if-routing.js';
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

export interface RegionPlan {
  region: string;
  enabled: boolean;
  stacks: StackPlan[];
  flux: FluxObjectChange[];
  dns: DnsChange[];
  clusterVars: ClusterVarChange[];
  risk: Risk;
  findings: RiskFinding[];
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
  /** Who answers each vantage point today, after the merge and per region down: when a region is added or drained. */
  whatIfRouting?: WhatIfRouting;
  /** A change of platform.yaml coder.version: the order apply-region upgrades the regions in. */
  coderUpgrade?: CoderUpgradeOrder;
}
