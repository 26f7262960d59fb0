import type { Risk } from '../aws/cloudformation/change-set-identity.js';

/** One named risk rule that fired, shown in the plan and used to compute the overall risk. */
export interface RiskFinding {
  level: Risk;
  /** Stable rule id, e.g. `stateful-replacement`, `iam-broadening`, `prune-deletion`, `dns-removal`. */
  rule: string;
  region?: string;
  /** What it is about: `coderdemo-us-east-2-aurora/DatabaseCluster`, `HelmRelease coder/coder`. */
  subject: string;
  message: string;
}

/** A resource change in a stack: the change set (online) merged with the template diff (offline). */
export interface ResourceChange {
  logicalId: string;
  type: string;
  action: 'Add' | 'Modify' | 'Remove' | 'Import' | 'Dynamic';
  /** From the change set, or the CloudFormation spec via the template diff. */
  replacement?: 'True' | 'False' | 'Conditional';
  physicalId?: string;
  /** Human lines: `Properties.StorageEncrypted: false → true (requires replacement)`. */
  details: string[];
}

/** IAM changes of one stack, what a reviewer must read before anything else. */
export interface IamChangeSummary {
  /** Permissions broadened: statements or managed policies added, new wildcards or principals. */
  broadened: boolean;
  /** Logical ids of roles whose trust policy (AssumeRolePolicyDocument) changes. */
  trustPolicyChanges: string[];
  /** Human lines, one per statement: `+ Allow s3:* on * (AWS:${CoderRole})`. */
  added: string[];
  removed: string[];
}
