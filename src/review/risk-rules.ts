import { RISK_LEVELS, type Risk } from '../aws/cloudformation/change-set-identity.js';
import { assessDriftOverwrite } from './drift-overwrite-rule.js';
import { wildcardGrants } from './iam-policy-diff.js';
import { assessTemplateDomain, type TemplateSide } from './domain-rules.js';
import type { DnsChange, FluxObjectChange, RiskFinding, StackPlan } from '../plan/plan-types.js';

/**
 * Rule ids (stable: shown in the plan, matched by apply and by people):
 * - `stateful-replacement`, `stateful-deletion` (high): stateful or identity resources replaced / deleted;
 * - `iam-broadening`, `iam-trust-policy` (high);
 * - `immutable-field`, `prune-deletion`, `suspend-flip`, `namespace-removal` (high): Flux;
 * - `dns-removal`, `latency-routing-exit` (medium), `chart-major-bump` (medium);
 * - `change-set-failed` (medium): what was reviewed cannot be applied as is;
 * - `manual-change-overwrite` (medium, low): the change set overwrites changes made by hand (drift-overwrite-rule.ts);
 * - `stack-change`, `flux-change`, `dns-change` (low): any other change.
 */
export const RULES = {
  statefulReplacement: 'stateful-replacement',
  statefulDeletion: 'stateful-deletion',
  iamBroadening: 'iam-broadening',
  iamTrustPolicy: 'iam-trust-policy',
  changeSetFailed: 'change-set-failed',
  stackChange: 'stack-change',
  immutableField: 'immutable-field',
  pruneDeletion: 'prune-deletion',
  suspendFlip: 'suspend-flip',
  namespaceRemoval: 'namespace-removal',
  chartMajorBump: 'chart-major-bump',
  fluxChange: 'flux-change',
  dnsRemoval: 'dns-removal',
  latencyRoutingExit: 'latency-routing-exit',
  dnsChange: 'dns-change',
} as const;

/** Resource types whose replacement or deletion loses data or identity (the things people depend on). */
export const STATEFUL_TYPES = new Set([
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBSubnetGroup',
  'AWS::RDS::GlobalCluster',
  'AWS::EC2::Volume',
  'AWS::EFS::FileSystem',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::Route53::HostedZone',
  'AWS::EC2::VPC',
  'AWS::EC2::VPCPeeringConnection',
  'AWS::EKS::Cluster',
  'AWS::EKS::Nodegroup',
  'AWS::IAM::OIDCProvider',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::CertificateManager::Certificate',
]);

/** Highest of several levels ('none' for none). */
export function maxRisk(levels: Iterable<Risk>): Risk {
  let max = 0;
  for (const l of levels) max = Math.max(max, RISK_LEVELS.indexOf(l));
  return RISK_LEVELS[max]!;
}

function list(items: string[], max = 5): string {
  return items.length <= max
    ? items.join('; ')
    : `${items.slice(0, max).join('; ')}; … ${items.length - max} more`;
}

/** What the stack rules read: a planned stack, or the change set apply made from main. */
export type StackRiskSubject = Pick<
  StackPlan,
  'region' | 'stackName' | 'changes' | 'iam' | 'status' | 'reason'
> &
  Partial<Pick<StackPlan, 'lastDrift'>>;

/** The templates (with effective parameter values) the domain rules of ./domain-rules.ts compare. */
export interface StackTemplates {
  before: TemplateSide | undefined;
  after: TemplateSide | undefined;
  listenerPorts: readonly number[];
}

/**
 * Findings for one stack plan: stateful replacement/deletion, IAM broadening and trust policies, the
 * domain rules (with the templates), any change.
 */
export function assessStack(plan: StackRiskSubject, templates?: StackTemplates): RiskFinding[] {
  const findings: RiskFinding[] = templates
    ? assessTemplateDomain(
        { region: plan.region, stackName: plan.stackName },
        templates.before,
        templates.after,
        templates,
      )
    : [];
  const where = { region: plan.region };
  const subject = (id?: string) => (id ? `${plan.stackName}/${id}` : plan.stackName);
  for (const c of plan.changes) {
    if (!STATEFUL_TYPES.has(c.type)) continue;
    if (c.action === 'Remove') {
      const retained = c.details.some((d) => /retained/i.test(d));
      if (retained) continue;
      findings.push({
        ...where,
        level: 'high',
        rule: RULES.statefulDeletion,
        subject: subject(c.logicalId),
        message: `${c.type} ${c.logicalId} will be deleted`,
      });
    } else if (c.action === 'Modify' && (c.replacement === 'True' || c.replacement === 'Conditional')) {
      const why = c.details.filter((d) => /replacement/.test(d));
      findings.push({
        ...where,
        level: 'high',
        rule: RULES.statefulReplacement,
        subject: subject(c.logicalId),
        message:
          `${c.type} ${c.logicalId} ${c.replacement === 'True' ? 'will be replaced' : 'may be replaced'}` +
          (why.length ? `: ${list(why, 3)}` : ''),
      });
    }
  }
  const iam = plan.iam;
  if (iam?.broadened) {
    const wild = wildcardGrants(iam);
    // The wildcard grants are named first; the rest of what is added follows, each grant once.
    const others = iam.added.filter((a) => !wild.includes(a));
    findings.push({
      ...where,
      level: 'high',
      rule: RULES.iamBroadening,
      subject: subject(),
      message:
        `IAM permissions broadened${wild.length ? ` (wildcards: ${list(wild, 3)})` : ''}` +
        (others.length ? `: ${list(others)}` : ''),
    });
  }
  for (const role of iam?.trustPolicyChanges ?? []) {
    findings.push({
      ...where,
      level: 'high',
      rule: RULES.iamTrustPolicy,
      subject: subject(role),
      message: `trust policy of ${role} changes (who can assume it)`,
    });
  }
  if (plan.status === 'failed') {
    findings.push({
      ...where,
      level: 'medium',
      rule: RULES.changeSetFailed,
      subject: subject(),
      message: `change set failed: ${plan.reason ?? 'no reason given'}`,
    });
  }
  const changed = plan.changes.length > 0 || plan.status === 'create' || plan.status === 'update';
  if (findings.length === 0 && changed) {
    const n = plan.changes.length;
    findings.push({
      ...where,
      level: 'low',
      rule: RULES.stackChange,
      subject: subject(),
      message: `${n} resource change${n === 1 ? '' : 's'}`,
    });
  }
  return findings;
}

/**
 * Fields Kubernetes refuses to change in place (the apply fails, or Flux must delete and recreate the
 * object with `force`): kind → path prefixes in flux-diff's notation.
 */
export const IMMUTABLE_FIELDS: Record<string, string[]> = {
  Deployment: ['spec.selector'],
  StatefulSet: ['spec.selector', 'spec.serviceName', 'spec.volumeClaimTemplates', 'spec.podManagementPolicy'],
  DaemonSet: ['spec.selector'],
  ReplicaSet: ['spec.selector'],
  Job: ['spec.selector', 'spec.template', 'spec.completions'],
  Service: ['spec.clusterIP', 'spec.clusterIPs', 'spec.ipFamilies'],
  PersistentVolumeClaim: [
    'spec.storageClassName',
    'spec.accessModes',
    'spec.volumeName',
    'spec.volumeMode',
    'spec.selector',
  ],
  PersistentVolume: ['spec.csi', 'spec.claimRef', 'spec.storageClassName', 'spec.nodeAffinity'],
  StorageClass: ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'],
  Secret: ['type'],
  ConfigMap: [],
};

function matchesPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

function objectName(c: FluxObjectChange): string {
  return `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;
}

function majorOf(version: string | undefined): number | undefined {
  const m = /^v?(\d+)\./.exec(version ?? '') ?? /^v?(\d+)$/.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Findings for Flux object changes: immutable fields, prune deletions, suspend flips, namespace removal, chart majors. */
export function assessFlux(changes: FluxObjectChange[]): RiskFinding[] {
  const findings: RiskFinding[] = [];
  const regions = new Set<string>();
  for (const c of changes) {
    const subject = objectName(c);
    const base = { region: c.region, subject };
    const before = findings.length;
    if (c.action === 'removed' && c.kind === 'Namespace') {
      findings.push({
        ...base,
        level: 'high',
        rule: RULES.namespaceRemoval,
        message: `namespace ${c.name} is removed${c.prunes ? ' and pruned: everything in it is deleted' : ''}`,
      });
    } else if (c.action === 'removed' && c.prunes) {
      findings.push({
        ...base,
        level: 'high',
        rule: RULES.pruneDeletion,
        message: `${subject} is deleted from the cluster (prune: true in ${c.kustomization})`,
      });
    }
    if (c.action === 'changed') {
      const immutable = IMMUTABLE_FIELDS[c.kind] ?? [];
      const hits = c.fields.filter((f) => immutable.some((p) => matchesPrefix(f.path, p)));
      if (hits.length) {
        findings.push({
          ...base,
          level: 'high',
          rule: RULES.immutableField,
          message: `immutable field${hits.length === 1 ? '' : 's'} changed (the apply fails or the object is recreated): ${list(hits.map((f) => f.path))}`,
        });
      }
      const suspend = c.fields.find((f) => f.path === 'spec.suspend');
      if (suspend && (suspend.before ?? 'false') !== (suspend.after ?? 'false')) {
        findings.push({
          ...base,
          level: 'high',
          rule: RULES.suspendFlip,
          message:
            suspend.after === 'true'
              ? `reconciliation of ${subject} is suspended`
              : `reconciliation of ${subject} resumes (suspend ${suspend.before} → ${suspend.after ?? 'unset'})`,
        });
      }
    }
    if (c.action === 'added' && c.fields.some((f) => f.path === 'spec.suspend' && f.after === 'true')) {
      findings.push({
        ...base,
        level: 'high',
        rule: RULES.suspendFlip,
        message: `${subject} is added suspended`,
      });
    }
    const from = majorOf(c.chart?.from);
    const to = majorOf(c.chart?.to);
    if (from !== undefined && to !== undefined && from !== to) {
      findings.push({
        ...base,
        level: 'medium',
        rule: RULES.chartMajorBump,
        message: `chart ${c.chart?.name ?? ''} ${c.chart?.from} → ${c.chart?.to} (major version)`,
      });
    }
    if (findings.length === before) regions.add(c.region);
  }
  for (const region of regions) {
    const n = changes.filter((c) => c.region === region).length;
    findings.push({
      region,
      level: 'low',
      rule: RULES.fluxChange,
      subject: 'Flux',
      message: `${n} Flux object change${n === 1 ? '' : 's'}`,
    });
  }
  return findings;
}

/** Findings for Route 53 changes: record removals and a region leaving latency routing (medium). */
export function assessDns(changes: DnsChange[]): RiskFinding[] {
  const findings: RiskFinding[] = [];
  const exits = new Set<string>();
  for (const c of changes) {
    if (c.action !== 'remove') continue;
    if (c.kind === 'latency-alias') {
      if (exits.has(c.region)) continue;
      exits.add(c.region);
      findings.push({
        region: c.region,
        level: 'medium',
        rule: RULES.latencyRoutingExit,
        subject: c.record,
        message: `${c.region} leaves latency routing: ${c.reason}`,
      });
    } else {
      findings.push({
        region: c.region,
        level: 'medium',
        rule: RULES.dnsRemoval,
        subject: c.record,
        message: `${c.kind === 'health-check' ? 'health check' : 'record'} ${c.record} is removed: ${c.reason}`,
      });
    }
  }
  const rest = changes.filter((c) => c.action !== 'remove');
  for (const region of new Set(rest.map((c) => c.region))) {
    if (findings.some((f) => f.region === region)) continue;
    const n = rest.filter((c) => c.region === region).length;
    findings.push({
      region,
      level: 'low',
      rule: RULES.dnsChange,
      subject: 'Route 53',
      message: `${n} Route 53 change${n === 1 ? '' : 's'}`,
    });
  }
  return findings;
}

/** A stack's findings and risk (plan and apply alike): a stack with changes is at least `low`. */
export function stackRisk(
  plan: StackRiskSubject,
  templates?: StackTemplates,
): { findings: RiskFinding[]; risk: Risk } {
  const findings = [...assessStack(plan, templates), ...assessDriftOverwrite(plan)];
  const changes = plan.changes.length > 0 || ['create', 'update', 'blocked'].includes(plan.status);
  return { findings, risk: overallRisk(findings, changes) };
}

/** The plan's risk: the highest finding; `low` for changes no rule names; `none` when nothing changes. */
export function overallRisk(findings: RiskFinding[], hasChanges: boolean): Risk {
  const max = maxRisk(findings.map((f) => f.level));
  if (max === 'none' && hasChanges) return 'low';
  return max;
}
