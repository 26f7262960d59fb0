import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE24, REPO_ROOT } from '../test/helpers/run-action.js';
import { formatBytes, formatMs, median, timeSpawn, type BenchRow } from './stats.js';

export const ACTIONS = ['plan-region', 'apply-region', 'verify-endpoints'] as const;

/** A runner-like environment with a bad `role-to-assume`, so the action prints its one error and exits. */
function runnerEnv(temp: string): NodeJS.ProcessEnv {
  const output = join(temp, 'output.txt');
  const summary = join(temp, 'summary.md');
  const event = join(temp, 'event.json');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  writeFileSync(event, '{}');
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: 'coder/coderdemo-gitops',
    GITHUB_RUN_ID: '1',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_WORKSPACE: REPO_ROOT,
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: temp,
    AWS_REGION: 'us-east-2',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    'INPUT_ROLE-TO-ASSUME': 'not-an-arn',
  };
}

function dirSize(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** (2) Each bundle, spawned as a runner would under Node 24, to its first log line, against `node -e 0`. */
export async function benchStartup(runs: number): Promise<BenchRow[]> {
  const temp = mkdtempSync(join(tmpdir(), 'cg-bench-startup-'));
  try {
    const env = runnerEnv(temp);
    const bare: number[] = [];
    const first = new Map<string, number[]>(ACTIONS.map((a) => [a, []]));
    const exit = new Map<string, number[]>(ACTIONS.map((a) => [a, []]));
    const firstLine = new Map<string, string>();
    // Interleaved, so a slow moment of the machine hits both sides alike.
    for (let i = 0; i <= runs; i++) {
      const b = await timeSpawn(NODE24, ['-e', '0'], { env });
      for (const action of ACTIONS) {
        const t = await timeSpawn(NODE24, [join(REPO_ROOT, 'actions', action, 'dist', 'index.js')], { env });
        if (t.firstLineMs === undefined) throw new Error(`${action} printed nothing: ${t.stderr.trim()}`);
        if (i === 0) {
          firstLine.set(action, t.stdout.split('\n')[0]!.slice(0, 60));
          continue; // warm-up (disk cache)
        }
        first.get(action)!.push(t.firstLineMs);
        exit.get(action)!.push(t.exitMs);
      }
      if (i > 0) bare.push(b.exitMs);
    }
    const base = median(bare);
    const rows: BenchRow[] = [];
    for (const action of ACTIONS) {
      const m = median(first.get(action)!);
      const dist = join(REPO_ROOT, 'actions', action, 'dist');
      rows.push({
        section: '2',
        what: `${action}: start to first log line`,
        ours: formatMs(m),
        baseline: `${formatMs(base)} (node -e 0)`,
        ratio: m / base,
        note: `exit ${formatMs(median(exit.get(action)!))}; bundle ${formatBytes(statSync(join(dist, 'index.js')).size)} (dist ${formatBytes(dirSize(dist))}); first line \`${firstLine.get(action)}…\``,
      });
    }
    return rows;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
