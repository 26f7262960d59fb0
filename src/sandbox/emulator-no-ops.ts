import { existsSync, readFileSync } from 'node:fs';

/** One thing moto accepted without doing it, as the launcher records it (moto-launcher.py, point 10). */
export interface LauncherEvent {
  event: 'stand-in' | 'no-op update';
  /** Stack name (stand-in) or stack id (no-op update). */
  stack?: string | null;
  logicalId: string;
  type: string;
  reason?: string;
}

/** The launcher's events file, one JSON object per line; [] when none was written. */
export function readLauncherEvents(file: string): LauncherEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LauncherEvent);
}

/** `arn:aws:cloudformation:…:stack/<name>/<id>` → `<name>`. */
function stackName(stack: string | null | undefined): string {
  const m = /:stack\/([^/]+)\//.exec(stack ?? '');
  return m ? m[1]! : (stack ?? '?');
}

/** What the sandbox report says about them: which types were only stand-ins, and which updates changed nothing in moto. */
export interface EmulatorNoOps {
  /** Resource types moto accepts but does not create, with the stacks that hold them. */
  standIns: { type: string; stacks: string[] }[];
  /** Updates moto performed as no-ops (the resource kept as it was), by stack and logical id. */
  noOpUpdates: { stack: string; logicalId: string; type: string; reason: string }[];
}

export function summarizeLauncherEvents(events: LauncherEvent[]): EmulatorNoOps {
  const standIns = new Map<string, Set<string>>();
  const updates = new Map<string, EmulatorNoOps['noOpUpdates'][number]>();
  for (const e of events) {
    if (e.event === 'stand-in') {
      standIns.set(e.type, (standIns.get(e.type) ?? new Set()).add(stackName(e.stack)));
    } else if (e.event === 'no-op update') {
      const stack = stackName(e.stack);
      updates.set(`${stack}/${e.logicalId}`, {
        stack,
        logicalId: e.logicalId,
        type: e.type,
        reason: e.reason ?? '',
      });
    }
  }
  return {
    standIns: [...standIns]
      .map(([type, stacks]) => ({ type, stacks: [...stacks].sort() }))
      .sort((a, b) => a.type.localeCompare(b.type)),
    noOpUpdates: [...updates.values()].sort((a, b) =>
      `${a.stack}/${a.logicalId}`.localeCompare(`${b.stack}/${b.logicalId}`),
    ),
  };
}

/** Lines for the sandbox's text report. */
export function renderEmulatorNoOps(n: EmulatorNoOps): string[] {
  if (!n.standIns.length && !n.noOpUpdates.length) return [];
  const out = ['', '  what moto accepted without doing it (nothing behind these in the emulator):'];
  for (const s of n.standIns) out.push(`    stand-in ${s.type} (not created): ${s.stacks.join(', ')}`);
  for (const u of n.noOpUpdates)
    out.push(`    no-op update ${u.stack} ${u.logicalId} (${u.type}): ${u.reason}`);
  return out;
}
