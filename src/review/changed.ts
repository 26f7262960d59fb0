import type { RegionPlan, StackPlan } from '../plan/plan-types.js';

/**
 * The one "changed" rule for a planned stack, used by the plan's summary, its markdown, the blast radius
 * and apply's reading of a change set: a stack changes when CloudFormation will create or update it, when
 * its change set is only known after an earlier stack (`blocked`), when its plan `failed` (nothing proves
 * it unchanged), and offline when its template or parameters differ. `no-changes` is what CloudFormation said.
 */
export function stackPlanChanged(
  s: Pick<StackPlan, 'status' | 'changes' | 'templateDiff' | 'parameters'>,
): boolean {
  if (s.status === 'create' || s.status === 'update' || s.status === 'blocked' || s.status === 'failed')
    return true;
  if (s.status === 'no-changes') return false;
  // offline: what the template diff and the parameters show is all that is known.
  return s.changes.length > 0 || s.templateDiff !== '' || s.parameters.length > 0;
}

/** A region changes when a stack, a Flux object, a DNS record or a cluster variable does. */
export function regionPlanChanged(r: Pick<RegionPlan, 'stacks' | 'flux' | 'dns' | 'clusterVars'>): boolean {
  return r.stacks.some(stackPlanChanged) || r.flux.length > 0 || r.dns.length > 0 || r.clusterVars.length > 0;
}

/**
 * The same rule for a change set CloudFormation finished: it changes the stack unless CloudFormation
 * said there is nothing to do (a FAILED "no changes" change set, or CreateChangeSet refusing outright).
 */
export function changeSetChanges(status: 'ready' | 'no-changes'): boolean {
  return status === 'ready';
}
