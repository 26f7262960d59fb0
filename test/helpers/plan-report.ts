import type { PlanReport, RegionPlan, StackPlan } from '../../src/plan/plan-types.js';

/** A stack plan with defaults, for renderer tests. */
export function stackPlan(over: Partial<StackPlan> & { region: string; stack: string }): StackPlan {
  return {
    deployRegion: over.region,
    stackName: `coderdemo-${over.region}-${over.stack}`,
    template: over.stack,
    status: 'update',
    changes: [],
    parameters: [],
    templateDiff: '',
    risk: 'low',
    findings: [],
    ...over,
  };
}

/** A region plan with defaults. */
export function regionPlan(over: Partial<RegionPlan> & { region: string }): RegionPlan {
  return {
    enabled: true,
    stacks: [],
    flux: [],
    dns: [],
    clusterVars: [],
    risk: 'low',
    findings: [],
    ...over,
  };
}

/** A plan report with defaults. */
export function planReport(over: Partial<PlanReport> = {}): PlanReport {
  return {
    mode: 'online',
    headSha: '0123456789abcdef0123456789abcdef01234567',
    baseRef: 'main',
    account: [],
    regions: [],
    hasChanges: true,
    risk: 'low',
    findings: [],
    errors: [],
    apiCalls: {},
    durationMs: 1234,
    ...over,
  };
}
