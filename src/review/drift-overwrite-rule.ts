import type { ResourceDrift } from '../drift/drift-types.js';
import type { RiskFinding, StackPlan } from '../plan/plan-types.js';

/**
 * Rule id `manual-change-overwrite`: the last drift detection found resources changed by hand, and this
 * change set updates or removes them, so CloudFormation writes the template's values over the manual
 * ones (medium). Drifted resources the change set does not touch stay as they are (low, same rule).
 * Part of the review's risk rules (risk-rules.ts `stackRisk`).
 */
export const MANUAL_CHANGE_OVERWRITE = 'manual-change-overwrite';

function short(value: string | undefined): string {
  if (value === undefined) return '(none)';
  const v = value.replace(/\s+/g, ' ');
  return v.length > 60 ? `${v.slice(0, 57)}…` : v;
}

/** `DbSg (AWS::EC2::SecurityGroup) /SecurityGroupIngress/0/CidrIp: 10.0.0.0/16 → 0.0.0.0/0 by hand`. */
export function describeManualChange(r: ResourceDrift): string {
  const head = `${r.logicalId} (${r.type})`;
  if (r.status === 'DELETED') return `${head} deleted by hand`;
  if (r.properties.length === 0) return `${head} modified by hand`;
  const props = r.properties
    .slice(0, 3)
    .map((p) => `${p.path}: Git ${short(p.expected)}, actual ${short(p.actual)}`)
    .join(', ');
  return `${head} ${props}${r.properties.length > 3 ? `, … ${r.properties.length - 3} more` : ''}`;
}

/** The manual-change-overwrite finding of one stack plan (none when the stack did not drift or nothing changes). */
export function assessDriftOverwrite(
  plan: Pick<StackPlan, 'region' | 'stackName' | 'changes' | 'status' | 'lastDrift'>,
): RiskFinding[] {
  const drift = plan.lastDrift;
  if (!drift || drift.status !== 'DRIFTED') return [];
  const changes = plan.changes.length > 0 || plan.status === 'create' || plan.status === 'update';
  if (!changes) return [];
  const touched = new Set(
    plan.changes.filter((c) => c.action === 'Modify' || c.action === 'Remove').map((c) => c.logicalId),
  );
  const overwritten = drift.resources.filter((r) => touched.has(r.logicalId));
  const kept = drift.resources.filter((r) => !touched.has(r.logicalId));
  const when = drift.lastCheckedAt ? ` (drift detected ${drift.lastCheckedAt})` : '';
  const findings: RiskFinding[] = [];
  if (overwritten.length > 0) {
    findings.push({
      level: 'medium',
      rule: MANUAL_CHANGE_OVERWRITE,
      region: plan.region,
      subject: plan.stackName,
      message: `the change set will overwrite these manual changes${when}: ${overwritten.map(describeManualChange).join('; ')}`,
    });
  }
  if (kept.length > 0 || (overwritten.length === 0 && drift.resources.length === 0)) {
    findings.push({
      level: 'low',
      rule: MANUAL_CHANGE_OVERWRITE,
      region: plan.region,
      subject: plan.stackName,
      message:
        kept.length > 0
          ? `changed by hand, not touched by this change set (stays as it is)${when}: ${kept.map(describeManualChange).join('; ')}`
          : `the stack drifted${when}, but its drifted resources could not be read${drift.error ? `: ${drift.error}` : ''}`,
    });
  }
  return findings;
}
