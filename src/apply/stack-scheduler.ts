/** One unit of work the scheduler runs: a name and the names it must wait for. */
export interface ScheduledTask {
  name: string;
  dependsOn: string[];
}

/** What became of one task. */
export type TaskOutcome<R> =
  | { name: string; state: 'done'; result: R }
  | { name: string; state: 'failed'; result: R }
  /** Never started: `blockedBy` names the failed task it waited for, or the first failure of the run. */
  | { name: string; state: 'not-reached'; blockedBy: string; reason: string };

export interface ScheduleOptions<R> {
  /** In a valid dependency order (stackGraph's `ordered`); outcomes come back in this order. */
  tasks: ScheduledTask[];
  run: (name: string) => Promise<R>;
  /** True when a result stops the task's dependents (failed, refused). */
  isFailure: (result: R) => boolean;
  /** Asked before each start; a reason stops the start (the run's deadline has passed). */
  mayStart?: (name: string) => string | undefined;
  /** Called when a task starts and ends (tests and logs). */
  onEvent?: (event: { name: string; kind: 'start' | 'end' }) => void;
}

/**
 * Run tasks concurrently along their dependencies: a task starts as soon as every task it depends on
 * has finished without failure. After a failure nothing new starts (as Terraform does: work already
 * running finishes, no new work begins on a run that has failed); the failed task's dependents and
 * every task not yet started are reported `not-reached`. `run` reports failures in its result and must
 * not throw (a throw rejects the whole schedule).
 */
export async function scheduleTasks<R>(opts: ScheduleOptions<R>): Promise<TaskOutcome<R>[]> {
  const { tasks } = opts;
  const known = new Set(tasks.map((t) => t.name));
  const outcomes = new Map<string, TaskOutcome<R>>();
  const running = new Map<string, Promise<void>>();
  let firstFailure: string | undefined;
  let stopReason: string | undefined;

  const depsOf = (t: ScheduledTask) => t.dependsOn.filter((d) => known.has(d) && d !== t.name);
  const ready = (t: ScheduledTask) =>
    !outcomes.has(t.name) &&
    !running.has(t.name) &&
    depsOf(t).every((d) => outcomes.get(d)?.state === 'done');

  const start = (t: ScheduledTask) => {
    opts.onEvent?.({ name: t.name, kind: 'start' });
    const p = opts.run(t.name).then((result) => {
      const failed = opts.isFailure(result);
      outcomes.set(t.name, { name: t.name, state: failed ? 'failed' : 'done', result });
      if (failed) firstFailure ??= t.name;
      running.delete(t.name);
      opts.onEvent?.({ name: t.name, kind: 'end' });
    });
    running.set(t.name, p);
  };

  for (;;) {
    if (firstFailure === undefined && stopReason === undefined) {
      for (const t of tasks) {
        if (!ready(t)) continue;
        const veto = opts.mayStart?.(t.name);
        if (veto) {
          stopReason = veto;
          break;
        }
        start(t);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }

  // Whatever did not run: name the failed dependency it waited for, else why the run stopped.
  const failedDep = (t: ScheduledTask, seen = new Set<string>()): string | undefined => {
    for (const d of depsOf(t)) {
      if (seen.has(d)) continue;
      seen.add(d);
      const o = outcomes.get(d);
      if (o?.state === 'failed') return d;
      const dep = tasks.find((x) => x.name === d);
      const deeper = dep && !o ? failedDep(dep, seen) : undefined;
      if (deeper) return deeper;
    }
    return undefined;
  };
  return tasks.map((t) => {
    const o = outcomes.get(t.name);
    if (o) return o;
    const dep = failedDep(t);
    if (dep)
      return { name: t.name, state: 'not-reached', blockedBy: dep, reason: `not started: ${dep} failed` };
    const blockedBy = firstFailure ?? '';
    const reason = firstFailure
      ? `not started: ${firstFailure} failed and the run starts nothing new after a failure`
      : `not started: ${stopReason ?? 'the run stopped'}`;
    return { name: t.name, state: 'not-reached', blockedBy, reason };
  });
}
