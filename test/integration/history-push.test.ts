import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHistoryText } from '../../src/status/history-file.js';
import type { HistoryLine } from '../../src/status/history-line.js';
import { appendHistory } from '../../src/status/history-push.js';
import { MemoryLogger } from '../../src/util/logger.js';

/**
 * Writers racing on a real git remote (a local bare repository): every line must arrive, whoever
 * pushes first. No mocks: git itself rejects the stale push, and the writer must fetch, rebase, retry.
 */

const BRANCH = 'status-history';
let root: string;
let remote: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}
function lineAt(id: string, at: string, state: 'up' | 'down' = 'up'): HistoryLine {
  return {
    v: 1,
    id,
    at,
    status: state === 'up' ? 'pass' : 'fail',
    regions: { 'us-west-2': { state, ms: { dns: 1, connect: 2, tls: 3, firstByte: 4 } } },
  };
}
function remoteLines(): HistoryLine[] {
  return parseHistoryText(git(remote, 'show', `${BRANCH}:runs.jsonl`), 'runs.jsonl');
}
let n = 0;
function scratch(): string {
  return join(root, `writer-${++n}`);
}
const noSleep = async () => undefined;
const now = () => new Date('2026-11-30T12:00:00Z');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'history-push-'));
  remote = join(root, 'remote.git');
  git(root, 'init', '-q', '--bare', remote);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('the first writer creates the branch as a root commit holding one line', async () => {
  const result = await appendHistory({
    remote,
    branch: BRANCH,
    line: lineAt('1-1', '2026-11-30T11:00:00.000Z'),
    workDir: scratch(),
    logger: new MemoryLogger(),
    now,
  });
  expect(result).toMatchObject({ attempts: 1, recoveries: [], lines: 1 });
  expect(remoteLines().map((l) => l.id)).toEqual(['1-1']);
  expect(git(remote, 'rev-list', '--count', BRANCH)).toBe('1');
  expect(git(remote, 'ls-tree', '--name-only', BRANCH)).toBe('runs.jsonl');
});

test('a push rejected because the other writer moved the branch is fetched, rebased and retried', async () => {
  await appendHistory({
    remote,
    branch: BRANCH,
    line: lineAt('1-1', '2026-11-30T11:00:00.000Z'),
    workDir: scratch(),
    logger: new MemoryLogger(),
    now,
  });
  const logger = new MemoryLogger();
  // Writer A has cloned and committed; before its push, writer B appends and pushes.
  const a = await appendHistory({
    remote,
    branch: BRANCH,
    line: lineAt('3-1', '2026-11-30T11:30:00.000Z', 'down'),
    workDir: scratch(),
    logger,
    now,
    sleep: noSleep,
    beforePush: async (attempt) => {
      if (attempt !== 1) return;
      await appendHistory({
        remote,
        branch: BRANCH,
        line: lineAt('2-1', '2026-11-30T11:15:00.000Z'),
        workDir: scratch(),
        logger: new MemoryLogger(),
        now,
      });
    },
  });
  expect(a).toMatchObject({ attempts: 2, recoveries: ['rebase'], lines: 3 });
  expect(remoteLines().map((l) => [l.id, l.status])).toEqual([
    ['1-1', 'pass'],
    ['2-1', 'pass'],
    ['3-1', 'fail'],
  ]);
  // A's commit sits on top of B's: history is linear, nothing was forced.
  expect(git(remote, 'rev-list', '--count', BRANCH)).toBe('3');
  expect(git(remote, 'rev-parse', BRANCH)).toBe(a.commit);
  expect(logger.lines.some((l) => /push 1 rejected/.test(l.message))).toBe(true);
});

test('two writers racing to create the branch: the loser replays its line onto the winner', async () => {
  const a = await appendHistory({
    remote,
    branch: BRANCH,
    line: lineAt('a-1', '2026-11-30T11:00:00.000Z'),
    workDir: scratch(),
    logger: new MemoryLogger(),
    now,
    sleep: noSleep,
    beforePush: async (attempt) => {
      if (attempt !== 1) return;
      await appendHistory({
        remote,
        branch: BRANCH,
        line: lineAt('b-1', '2026-11-30T11:05:00.000Z'),
        workDir: scratch(),
        logger: new MemoryLogger(),
        now,
      });
    },
  });
  // No common base to rebase onto (both were root commits): the line is re-appended on the new tip.
  expect(a.recoveries).toEqual(['replay']);
  expect(remoteLines().map((l) => l.id)).toEqual(['a-1', 'b-1']);
});

test('four writers pushing at once: every line arrives, some after rejected pushes', async () => {
  await appendHistory({
    remote,
    branch: BRANCH,
    line: lineAt('0-1', '2026-11-30T10:00:00.000Z'),
    workDir: scratch(),
    logger: new MemoryLogger(),
    now,
  });
  const results = await Promise.all(
    [1, 2, 3, 4].map((i) =>
      appendHistory({
        remote,
        branch: BRANCH,
        line: lineAt(`${i}-1`, `2026-11-30T1${i % 2}:${String(10 + i).padStart(2, '0')}:00.000Z`),
        workDir: scratch(),
        logger: new MemoryLogger(),
        now,
        attempts: 20,
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
      }),
    ),
  );
  expect(
    remoteLines()
      .map((l) => l.id)
      .sort(),
  ).toEqual(['0-1', '1-1', '2-1', '3-1', '4-1']);
  // Sorted by time whatever order the pushes landed in.
  const ats = remoteLines().map((l) => l.at);
  expect(ats).toEqual([...ats].sort());
  expect(results.reduce((s, r) => s + r.attempts - 1, 0)).toBeGreaterThan(0);
  expect(results.flatMap((r) => r.recoveries)).toContain('rebase');
});

test('the same run appended twice is one line; lines past the window are pruned', async () => {
  const write = (line: HistoryLine) =>
    appendHistory({ remote, branch: BRANCH, line, workDir: scratch(), logger: new MemoryLogger(), now });
  await write(lineAt('old-1', '2026-10-01T00:00:00.000Z'));
  await write(lineAt('7-1', '2026-11-30T11:00:00.000Z'));
  await write(lineAt('7-1', '2026-11-30T11:00:00.000Z', 'down'));
  expect(remoteLines().map((l) => [l.id, l.status])).toEqual([['7-1', 'fail']]);
});

test('a remote that refuses for another reason is not retried', async () => {
  await expect(
    appendHistory({
      remote: join(root, 'missing.git'),
      branch: BRANCH,
      line: lineAt('1-1', '2026-11-30T11:00:00.000Z'),
      workDir: scratch(),
      logger: new MemoryLogger(),
      now,
      sleep: noSleep,
    }),
  ).rejects.toThrow(/git ls-remote .* failed/);
});
