import { scheduleTasks, type ScheduledTask } from '../../../src/apply/stack-scheduler.js';

/** Tasks that finish when the test says so, recording what was running at each start. */
function harness(tasks: ScheduledTask[]) {
  const pending = new Map<string, (ok: boolean) => void>();
  const running = new Set<string>();
  const startedWith: Record<string, string[]> = {};
  const finished: string[] = [];
  const started: string[] = [];
  const done = scheduleTasks<{ ok: boolean }>({
    tasks,
    run: (name) =>
      new Promise((resolve) => {
        started.push(name);
        startedWith[name] = [...running];
        running.add(name);
        pending.set(name, (ok) => {
          running.delete(name);
          finished.push(name);
          resolve({ ok });
        });
      }),
    isFailure: (r) => !r.ok,
  });
  const tick = () => new Promise((r) => setImmediate(r));
  const finish = async (name: string, ok = true) => {
    await tick();
    const f = pending.get(name);
    if (!f) throw new Error(`${name} is not running (running: ${[...running].join(', ')})`);
    pending.delete(name);
    f(ok);
    await tick();
  };
  return { done, finish, started, startedWith, finished, running, tick };
}

// The hub region of gitops/: certificates and dns need nothing; eks and aurora need only network.
const HUB: ScheduledTask[] = [
  { name: 'network', dependsOn: [] },
  { name: 'certificates', dependsOn: [] },
  { name: 'eks', dependsOn: ['network'] },
  { name: 'aurora', dependsOn: ['network'] },
  { name: 'dns', dependsOn: [] },
];

describe('scheduleTasks', () => {
  it('starts independent tasks together and a task only after its dependencies finished', async () => {
    const h = harness(HUB);
    await h.tick();
    expect(h.started).toEqual(['network', 'certificates', 'dns']);
    await h.finish('certificates');
    expect(h.started).not.toContain('eks');
    await h.finish('network');
    expect(h.started).toEqual(['network', 'certificates', 'dns', 'eks', 'aurora']);
    expect(h.startedWith.aurora).toEqual(expect.arrayContaining(['dns', 'eks']));
    await h.finish('eks');
    await h.finish('aurora');
    await h.finish('dns');
    const out = await h.done;
    expect(out.map((o) => `${o.name}:${o.state}`)).toEqual([
      'network:done',
      'certificates:done',
      'eks:done',
      'aurora:done',
      'dns:done',
    ]);
  });

  it('a failure stops its dependents and starts nothing new, while running siblings finish', async () => {
    const h = harness([
      { name: 'network', dependsOn: [] },
      { name: 'certificates', dependsOn: [] },
      { name: 'eks', dependsOn: ['network'] },
      { name: 'addons', dependsOn: ['eks'] },
      { name: 'late', dependsOn: ['certificates'] },
    ]);
    await h.tick();
    await h.finish('network', false);
    // certificates was running when network failed: it is let finish, and what follows it does not start.
    expect(h.running.has('certificates')).toBe(true);
    await h.finish('certificates');
    const out = await h.done;
    expect(out).toEqual([
      { name: 'network', state: 'failed', result: { ok: false } },
      { name: 'certificates', state: 'done', result: { ok: true } },
      { name: 'eks', state: 'not-reached', blockedBy: 'network', reason: 'not started: network failed' },
      { name: 'addons', state: 'not-reached', blockedBy: 'network', reason: 'not started: network failed' },
      {
        name: 'late',
        state: 'not-reached',
        blockedBy: 'network',
        reason: 'not started: network failed and the run starts nothing new after a failure',
      },
    ]);
    expect(h.started).toEqual(['network', 'certificates']);
  });

  it('stops starting when mayStart vetoes (the deadline), and says why', async () => {
    let allowed = 1;
    const out = await scheduleTasks({
      tasks: [
        { name: 'a', dependsOn: [] },
        { name: 'b', dependsOn: ['a'] },
      ],
      run: () => Promise.resolve('ok'),
      isFailure: () => false,
      mayStart: () => (allowed-- > 0 ? undefined : 'timed out after 1 min'),
    });
    expect(out[0]).toEqual({ name: 'a', state: 'done', result: 'ok' });
    expect(out[1]).toEqual({
      name: 'b',
      state: 'not-reached',
      blockedBy: '',
      reason: 'not started: timed out after 1 min',
    });
  });
});
