import type { RolloutEstimate } from '../plan/rollout-estimate.js';

function minutes(seconds: number): string {
  const m = Math.max(1, Math.round(seconds / 60));
  return `${m} minute${m === 1 ? '' : 's'}`;
}

/**
 * One line for a region's modeled rollout, labelled as an estimate: `enabling eu-west-2: about 22
 * minutes (estimate from the AWS timing model: …)`. Undefined when the region applies nothing.
 */
export function renderRolloutEstimate(e: RolloutEstimate | undefined): string | undefined {
  if (!e || e.kind === 'none') return undefined;
  const verb = e.kind === 'enable' ? 'enabling' : 'applying';
  const path =
    e.criticalPath.length > 1 ? `longest path ${e.criticalPath.join(' → ')}` : `${e.criticalPath[0]}`;
  const sequential =
    e.stacks.length > 1 ? `; ${minutes(e.sequentialSeconds)} if its stacks ran one after another` : '';
  return `${verb} ${e.region}: about ${minutes(e.seconds)} (estimate from the AWS timing model: ${path}${sequential}; cluster step and DNS not included)`;
}
