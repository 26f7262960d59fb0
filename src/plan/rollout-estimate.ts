import {
  CHANGE_SET_CREATE,
  resourceSeconds,
  STACK_OVERHEAD,
  type ResourceOperation,
} from '../aws/timing-model.js';
import { parseTemplate } from '../gitops/cfn-yaml.js';
import { stackGraph } from '../gitops/stack-order.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import type { RegionPlan, StackPlan } from './plan-types.js';

/** A template resource and the other resources of its template it waits for. */
export interface TemplateResource {
  logicalId: string;
  type: string;
  /** DependsOn plus every Ref / Fn::GetAtt / ${…} naming another resource. */
  dependsOn: string[];
  /** Template parameters it reads (Ref or ${…}). */
  parameters: string[];
}

/** One resource's modeled operation, in seconds from the start of the stack's execution. */
export interface ModeledResource {
  logicalId: string;
  type: string;
  op: ResourceOperation;
  startS: number;
  endS: number;
}

export interface ModeledStack {
  /** From ExecuteChangeSet to the stack's final state. */
  executeS: number;
  resources: ModeledResource[];
}

function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'Ref' && typeof v === 'string') into.add(v);
    else if (k === 'Fn::GetAtt') {
      const target = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.split('.')[0] : undefined;
      if (typeof target === 'string') into.add(target);
    } else if (k === 'Fn::Sub') {
      const text = Array.isArray(v) ? v[0] : v;
      if (typeof text === 'string')
        for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) into.add(m[1]!);
      if (Array.isArray(v)) collectRefs(v[1], into);
    } else collectRefs(v, into);
  }
}

/**
 * The resources of a template and their dependencies, as CloudFormation orders them (it creates what
 * does not depend on each other in parallel). Conditions are not evaluated: a conditional resource is
 * modeled as created.
 */
export function templateResources(template: Record<string, unknown>): TemplateResource[] {
  const resources = (template.Resources ?? {}) as Record<string, Record<string, unknown>>;
  const params = new Set(Object.keys((template.Parameters ?? {}) as object));
  const ids = new Set(Object.keys(resources));
  return Object.entries(resources).map(([logicalId, r]) => {
    const refs = new Set<string>();
    collectRefs(r.Properties, refs);
    const explicit = r.DependsOn === undefined ? [] : ([] as unknown[]).concat(r.DependsOn);
    for (const d of explicit) if (typeof d === 'string') refs.add(d);
    return {
      logicalId,
      type: String(r.Type ?? 'unknown'),
      dependsOn: [...refs].filter((x) => ids.has(x) && x !== logicalId),
      parameters: [...refs].filter((x) => params.has(x)),
    };
  });
}

/**
 * The modeled execution of one stack: each operated resource starts when the operated resources it
 * depends on have finished and takes its figure from the timing model; the stack ends after the last
 * one plus the stack-level overhead. Deletions are modeled as starting at once (CloudFormation deletes
 * in the cleanup phase, after the rest; the model keeps them off the critical path of create/update).
 */
export function modelStackExecution(
  resources: TemplateResource[],
  ops: Map<string, ResourceOperation>,
): ModeledStack {
  const byId = new Map(resources.map((r) => [r.logicalId, r]));
  const end = new Map<string, number>();
  const visiting = new Set<string>();
  const finish = (id: string): number => {
    const known = end.get(id);
    if (known !== undefined) return known;
    const op = ops.get(id);
    const r = byId.get(id);
    if (!op || !r) return 0;
    if (visiting.has(id)) return 0; // a template cycle is CloudFormation's error to report, not ours
    visiting.add(id);
    const start = op === 'delete' ? 0 : Math.max(0, ...r.dependsOn.map(finish));
    const e = start + resourceSeconds(r.type, op);
    end.set(id, e);
    return e;
  };
  const out: ModeledResource[] = [];
  for (const [id, op] of ops) {
    const r = byId.get(id);
    if (!r) continue;
    const e = finish(id);
    out.push({ logicalId: id, type: r.type, op, startS: e - resourceSeconds(r.type, op), endS: e });
  }
  out.sort((a, b) => a.endS - b.endS || a.logicalId.localeCompare(b.logicalId));
  const last = out.length ? out[out.length - 1]!.endS : 0;
  return { executeS: last + STACK_OVERHEAD.seconds, resources: out };
}

/** Every resource created: a new stack. */
export function createOps(resources: TemplateResource[]): Map<string, ResourceOperation> {
  return new Map(resources.map((r) => [r.logicalId, 'create' as const]));
}

/**
 * What an update touches, from the templates and parameters before and after: added, removed and
 * changed resources, and those reading a parameter whose value changed (CloudFormation updates a
 * resource whose resolved properties change; propagation beyond direct readers is not modeled).
 */
export function updateOps(
  before: { template: Record<string, unknown>; parameters: Record<string, string> },
  after: { template: Record<string, unknown>; parameters: Record<string, string> },
): Map<string, ResourceOperation> {
  const old = (before.template.Resources ?? {}) as Record<string, unknown>;
  const cur = (after.template.Resources ?? {}) as Record<string, unknown>;
  const changedParams = new Set(
    Object.keys({ ...before.parameters, ...after.parameters }).filter(
      (k) => before.parameters[k] !== after.parameters[k],
    ),
  );
  const ops = new Map<string, ResourceOperation>();
  for (const r of templateResources(after.template)) {
    if (!(r.logicalId in old)) ops.set(r.logicalId, 'create');
    else if (JSON.stringify(old[r.logicalId]) !== JSON.stringify(cur[r.logicalId]))
      ops.set(r.logicalId, 'update');
    else if (r.parameters.some((p) => changedParams.has(p))) ops.set(r.logicalId, 'update');
  }
  for (const id of Object.keys(old)) if (!(id in cur)) ops.set(id, 'delete');
  return ops;
}

/** One stack of a region's modeled rollout. */
export interface ModeledStackRollout {
  stack: string;
  /** Change set creation + execution. */
  seconds: number;
}

/** A region's modeled rollout: stacks along their dependency graph, as apply runs them. */
export interface RolloutEstimate {
  region: string;
  /** `enable`: every stack is new; `change`: some stacks change; `none`: nothing to apply. */
  kind: 'enable' | 'change' | 'none';
  /** The longest dependency path (what a concurrent apply takes), in seconds. */
  seconds: number;
  /** Stacks on that path, first to last. */
  criticalPath: string[];
  /** The same stacks one after another, in seconds. */
  sequentialSeconds: number;
  stacks: ModeledStackRollout[];
}

/** The critical path through a region's stack graph, given each stack's modeled seconds (0 = not applied). */
export function regionCriticalPath(
  region: RegionConfig,
  seconds: Map<string, number>,
): { seconds: number; path: string[]; sequentialSeconds: number } {
  const graph = stackGraph(region);
  const finish = new Map<string, { at: number; path: string[] }>();
  for (const s of graph.ordered) {
    const deps = (graph.dependencies.get(s.name) ?? []).map((d) => finish.get(d)!).filter(Boolean);
    const before = deps.reduce((a, b) => (b.at > a.at ? b : a), { at: 0, path: [] as string[] });
    const own = seconds.get(s.name) ?? 0;
    finish.set(s.name, { at: before.at + own, path: own > 0 ? [...before.path, s.name] : before.path });
  }
  const last = [...finish.values()].reduce((a, b) => (b.at > a.at ? b : a), { at: 0, path: [] });
  const sequentialSeconds = [...seconds.values()].reduce((a, b) => a + b, 0);
  return { seconds: last.at, path: last.path, sequentialSeconds };
}

function opsFromPlan(plan: StackPlan, resources: TemplateResource[]): Map<string, ResourceOperation> {
  if (plan.status === 'create' || plan.status === 'blocked') return createOps(resources);
  const ops = new Map<string, ResourceOperation>();
  for (const c of plan.changes) {
    if (c.action === 'Add') ops.set(c.logicalId, 'create');
    else if (c.action === 'Remove') ops.set(c.logicalId, 'delete');
    // A replacement is a create of the new one (the old one goes in the cleanup phase).
    else ops.set(c.logicalId, c.replacement === 'True' ? 'create' : 'update');
  }
  return ops;
}

/**
 * The modeled rollout of a planned region, from the timing model (src/aws/timing-model.ts): each
 * stack the plan creates or changes takes a change set plus its modeled execution, stacks run along
 * their dependencies. An estimate, not a promise: AWS varies run to run.
 */
export function estimateRegionRollout(config: GitopsConfig, plan: RegionPlan): RolloutEstimate {
  const region = config.regions.find((r) => r.name === plan.region);
  const none: RolloutEstimate = {
    region: plan.region,
    kind: 'none',
    seconds: 0,
    criticalPath: [],
    sequentialSeconds: 0,
    stacks: [],
  };
  if (!region) return none;
  const seconds = new Map<string, number>();
  const stacks: ModeledStackRollout[] = [];
  for (const s of plan.stacks) {
    const applies = s.status === 'create' || s.status === 'blocked' || s.status === 'update';
    if (!applies) continue;
    const body = config.templates.get(s.template);
    if (body === undefined) continue;
    const resources = templateResources(parseTemplate(body, `stacks/${s.template}.yaml`));
    const modeled = modelStackExecution(resources, opsFromPlan(s, resources));
    const total = CHANGE_SET_CREATE.seconds + modeled.executeS;
    seconds.set(s.stack, total);
    stacks.push({ stack: s.stack, seconds: total });
  }
  if (stacks.length === 0) return none;
  const path = regionCriticalPath(region, seconds);
  const allNew = plan.stacks.every((s) => s.status === 'create' || s.status === 'blocked');
  return {
    region: plan.region,
    kind: allNew ? 'enable' : 'change',
    seconds: path.seconds,
    criticalPath: path.path,
    sequentialSeconds: path.sequentialSeconds,
    stacks,
  };
}
