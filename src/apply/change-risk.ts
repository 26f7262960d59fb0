import { RISK_LEVELS, type Risk } from '../aws/cloudformation/change-set-identity.js';
import { STATEFUL_TYPES } from '../plan/risk-rules.js';
import type { ResourceChange, RiskFinding } from '../plan/plan-types.js';

// The plan's own list, so apply and plan agree on what is stateful.
const STATEFUL = STATEFUL_TYPES;
const IDENTITY = /^AWS::IAM::/;

function max(a: Risk, b: Risk): Risk {
  return RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;
}

/**
 * Risk of a change set's resource changes, for the apply-time comparison with the reviewed plan:
 * replacing or removing stateful resources is high, replacing or removing anything else or touching
 * IAM is medium, other adds and in-place modifications are low. (A deliberately small subset of the
 * plan's rules: the reviewed change set carries the plan's own verdict.)
 */
export function assessChangeRisk(
  stackName: string,
  changes: ResourceChange[],
): { risk: Risk; findings: RiskFinding[] } {
  let risk: Risk = 'none';
  const findings: RiskFinding[] = [];
  const add = (level: Risk, rule: string, c: ResourceChange, message: string) => {
    risk = max(risk, level);
    findings.push({ level, rule, subject: `${stackName}/${c.logicalId}`, message });
  };
  for (const c of changes) {
    const replaces = c.replacement === 'True' || c.replacement === 'Conditional';
    const destroys = c.action === 'Remove' || replaces;
    const verb =
      c.action === 'Remove' ? 'deletes' : c.replacement === 'Conditional' ? 'may replace' : 'replaces';
    if (destroys && STATEFUL.has(c.type))
      add('high', 'stateful-replacement', c, `${verb} ${c.logicalId} (${c.type})`);
    else if (destroys) add('medium', 'replacement', c, `${verb} ${c.logicalId} (${c.type})`);
    else if (IDENTITY.test(c.type)) add('medium', 'iam-change', c, `${c.action} ${c.logicalId} (${c.type})`);
    else add('low', 'change', c, `${c.action} ${c.logicalId} (${c.type})`);
  }
  return { risk, findings };
}
