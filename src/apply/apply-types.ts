import type { Risk } from '../aws/cloudformation/change-set-identity.js';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { DnsMode } from '../aws/route53/alias-records.js';
import type { ClusterReport } from '../cluster/ensure-cluster.js';
import type { ReviewDecision } from '../review/review-decision.js';
import type { CoderRegionReport } from './coder-region-step.js';
import type { CoderVersionReport } from './coder-upgrade.js';

/** What happened to one stack. */
export type StackResult =
  'created' | 'updated' | 'no-changes' | 'dry-run' | 'failed' | 'refused' | 'not-reached';

export interface AppliedStack {
  /** Region whose file declares the stack. */
  region: string;
  /** Region the stack lives in (the hub for a spoke's hub-routes). */
  deployRegion: string;
  stack: string;
  stackName: string;
  /** Apply's own change set (created in this run, from main): executed, or refused / dry-run. */
  changeSet?: string;
  /** Apply's change set was not executed (no changes, refused, dry run, failed) and was deleted again. */
  changeSetDeleted?: boolean;
  /** The reviewed change set it was compared with (a reference only, never executed). */
  reviewedChangeSet?: string;
  /** The review module's decision (review-decision.ts); absent when no change set was made. */
  decision?: ReviewDecision['kind'];
  /** Where apply's change set and the reviewed one differ (action, logical id, type, replacement, paths). */
  differences?: string[];
  /**
   * What apply executed has exactly the reviewed change set's changes (or nothing was to be done and the
   * review showed nothing either).
   */
  reviewed: boolean;
  result: StackResult;
  risk?: Risk;
  /** `Add Vpc (AWS::EC2::VPC)`… as the change set lists them. */
  changes: string[];
  /** Why it failed, was refused, or was not executed. */
  message?: string;
  durationMs: number;
}

export interface RegionDnsReport {
  mode: DnsMode;
  status: 'changed' | 'unchanged' | 'skipped' | 'failed' | 'dry-run';
  changes: string[];
  /** After this run (undefined when DNS was not looked at). */
  inLatencyRouting?: boolean;
  loadBalancer?: string;
  reason?: string;
  /**
   * The records this run left in place, what the drift job compares Route 53 with: the region's own
   * aliases, and its latency entries (`[]` when removed; absent when held, as hold does not touch them).
   */
  recorded?: RecordedAliases;
}

export interface RecordedAliases {
  at: string;
  own: ResourceRecordSet[];
  latency?: ResourceRecordSet[];
}

export interface RegionVerifyReport {
  status: 'pass' | 'degraded' | 'fail' | 'not-run';
  summary: string;
}

export interface RegionApplyReport {
  region: string;
  status: 'applied' | 'no-changes' | 'dry-run' | 'failed' | 'skipped';
  stacks: AppliedStack[];
  cluster: Pick<ClusterReport, 'status' | 'reason'> & Partial<ClusterReport>;
  verify?: RegionVerifyReport;
  /** The Coder API side: licence, workspace proxy, provisioner key (identifiers only, never a token). */
  coder?: CoderRegionReport;
  /** The Coder version written as coder_version, and the upgrade order on the primary (coder-upgrade.ts). */
  coderVersion?: CoderVersionReport;
  dns?: RegionDnsReport;
  /** Why the region failed or was skipped. */
  error?: string;
  durationMs: number;
}

export interface RegionOutputs {
  /** Outputs by stack name (within the region's file). */
  stacks: Record<string, Record<string, string>>;
  /** The `cluster-vars` the cluster side writes (values known now). */
  clusterVars: Record<string, string>;
  /** Variables without a value yet, with the reason. */
  unresolvedClusterVars: Record<string, string>;
}

export interface ApplyReport {
  status: 'applied' | 'no-changes' | 'dry-run' | 'failed';
  headSha: string;
  reviewed?: { prNumber?: number; headSha: string };
  dryRun: boolean;
  dns: DnsMode;
  account: boolean;
  regions: RegionApplyReport[];
  /** Every stack touched, in the order it was handled (the `applied` output). */
  applied: AppliedStack[];
  /** The `stack-outputs` output. */
  stackOutputs: Record<string, RegionOutputs>;
  errors: string[];
  /** API calls made, by Service.Operation. */
  apiCalls: Record<string, number>;
  durationMs: number;
}
