/** One property of a resource that differs from the template (DescribeStackResourceDrifts' PropertyDifferences). */
export interface PropertyDrift {
  /** JSON pointer into the resource's properties: `/Tags/0/Value`, `/SecurityGroupIngress/1/CidrIp`. */
  path: string;
  /** `ADD` | `REMOVE` | `NOT_EQUAL`, as CloudFormation says it. */
  difference: string;
  expected?: string;
  actual?: string;
}

/** A resource of a stack and what drift detection found for it. */
export interface ResourceDrift {
  logicalId: string;
  physicalId?: string;
  type: string;
  /** `MODIFIED` | `DELETED` | `IN_SYNC` | `NOT_CHECKED` | `UNKNOWN`. */
  status: string;
  properties: PropertyDrift[];
  /** Why it was not checked (unsupported type, skipped in a rollback, detection failed for it). */
  reason?: string;
}

/**
 * One stack: `in-sync`, `drifted`, `failed` (the detection failed for at least one resource: results of
 * the others still count), `not-available` (the endpoint has no drift API: moto) or `error`.
 */
export type StackDriftStatus = 'in-sync' | 'drifted' | 'failed' | 'not-available' | 'error';

export interface StackDriftResult {
  region: string;
  deployRegion: string;
  stack: string;
  stackName: string;
  status: StackDriftStatus;
  /** MODIFIED and DELETED resources, each with its property paths. */
  drifted: ResourceDrift[];
  /** Resources CloudFormation did not check: listed, never hidden. */
  notChecked: ResourceDrift[];
  /** DetectionStatusReason, the emulator's answer, or the error. */
  reason?: string;
  /** When CloudFormation checked (DescribeStackDriftDetectionStatus' Timestamp). */
  checkedAt?: string;
  /** The stack does not exist (never applied): nothing to compare. */
  missing?: boolean;
}

/** One record set apply-region owns and how it compares with Git and the last apply report. */
export interface RecordDrift {
  region: string;
  /** `demo.test`, `*.demo.test`, `us-west-2.demo.test`… */
  name: string;
  type: string;
  /** Latency records carry the region as set identifier. */
  setIdentifier?: string;
  kind: 'latency-alias' | 'region-alias';
  status: 'in-sync' | 'modified' | 'deleted' | 'added' | 'not-checked';
  /** `AliasTarget.DNSName: expected → actual`, `HealthCheckId: … → …`. */
  fields: { field: string; expected?: string; actual?: string }[];
  reason?: string;
}

export interface RegionDnsDrift {
  region: string;
  /** Where the expectation came from: `apply report <file> (<when>)`, or why there is none. */
  source: string;
  records: RecordDrift[];
}

/** What Flux corrected on a cluster (helm-controller's DriftCorrected / DriftCorrectionFailed events). */
export interface FluxDriftNote {
  region: string;
  status: 'not-checked';
  reason: string;
}

export interface DriftReport {
  status: 'in-sync' | 'drifted' | 'error';
  stacks: StackDriftResult[];
  dns: RegionDnsDrift[];
  flux: FluxDriftNote[];
  errors: string[];
  /** API calls made, by Service.Operation. */
  apiCalls: Record<string, number>;
  startedAt: string;
  durationMs: number;
}
