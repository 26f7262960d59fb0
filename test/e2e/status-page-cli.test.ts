import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHistory } from '../../src/status/history-file.js';
import { renderStatusPage } from '../../src/status/render-status-page.js';
import { runCli } from '../helpers/run-cli.js';
import { fixtureHistory, HOSTILE_VERSION, HOSTILE_WHY } from '../helpers/status-history.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'status-page-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('status-page renders 30 days of history into one self-contained file under 1 MiB', async () => {
  const history = join(work, 'history');
  mkdirSync(history);
  writeFileSync(join(history, 'runs.jsonl'), formatHistory(fixtureHistory()));
  const run = await runCli([
    'status-page',
    '--history',
    history,
    '--out',
    join(work, 'site'),
    '--repository',
    'coder/coder-gitops',
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/status page: .*site\/index\.html \(2880 runs, \d+ KiB, overall degraded\)/);
  const html = readFileSync(join(work, 'site', 'index.html'), 'utf8');
  expect(Buffer.byteLength(html)).toBeLessThan(1024 * 1024);
  // No server, no CDN: nothing on the page points anywhere but the incident issues.
  const urls = [...html.matchAll(/(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
  expect(
    urls.filter((u) => !u!.startsWith('https://github.com/coder/coder-gitops/issues/') && u !== 'data:,'),
  ).toEqual([]);
  expect(html).toContain("default-src 'none'");
});

test('what the report said is escaped in the HTML, and cannot close the data script', () => {
  const { file } = renderStatusPage(fixtureHistory(20), join(work, 'escaped'), { renderedAt: new Date() });
  const html = readFileSync(file, 'utf8');
  expect(html).not.toContain(HOSTILE_VERSION);
  expect(html).not.toContain(HOSTILE_WHY);
  expect(html).toContain('v2.29.1&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
  // Exactly the three script elements the renderer writes.
  expect(html.match(/<script\b/g)).toHaveLength(3);
});

test.each([
  [['status-page', '--out', 'x'], /input 'history': the history directory is required/],
  [
    ['status-page', '--history', '/nonexistent/h', '--out', 'x'],
    /\/nonexistent\/h\/runs\.jsonl: no history here/,
  ],
  [
    ['status-page', '--history', '.', '--out', 'x', '--repository', 'not a repo'],
    /'not a repo' is not owner\/name/,
  ],
  [['history-append', '--run-id', '1-1'], /input 'report': the verify report to record is required/],
  [['history-append', '--report', 'r.json', '--run-id', '1 1'], /input 'run-id': '1 1' is not a run id/],
])('%j fails with a clear message, no stack trace', async (args, message) => {
  const run = await runCli(args);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

test('a history line that is not what history-append writes names the file, line and field', async () => {
  const history = join(work, 'bad');
  mkdirSync(history);
  writeFileSync(
    join(history, 'runs.jsonl'),
    `${formatHistory(fixtureHistory(2))}{"v":1,"id":"x","at":"2026-11-30T00:00:00Z","status":"ok","regions":{}}\n`,
  );
  const run = await runCli(['status-page', '--history', history, '--out', join(work, 'bad-site')]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('runs.jsonl:3 (status): must be one of pass, degraded, fail');
});

test('history-append records a verify report on the branch of a real (bare) repository', async () => {
  const { execFileSync } = await import('node:child_process');
  const remote = join(work, 'remote.git');
  execFileSync('git', ['init', '-q', '--bare', remote]);
  const report = {
    status: 'degraded',
    startedAt: '2026-11-30T11:45:00.000Z',
    durationMs: 10,
    known: [],
    matrix: undefined,
    results: [
      {
        check: 'https',
        key: 'https:us-west-2.coderdemo.io',
        incidentKey: 'https:us-west-2',
        target: 'us-west-2.coderdemo.io',
        region: 'us-west-2',
        status: 'degraded',
        summary: 'slow',
        attempts: 1,
        flaky: false,
        notes: [],
        timings: { dns: 1, connect: 2, tls: 3, firstByte: 4, total: 10 },
        details: {},
      },
    ],
    incidents: { opened: [], updated: [], closed: [], issues: { 'https:us-west-2': 9 } },
  };
  const file = join(work, 'verify-report.json');
  writeFileSync(file, JSON.stringify(report));
  const run = await runCli(['history-append', '--report', file, '--run-id', '77-2', '--remote', remote]);
  expect(run.stderr).toContain('history: 77-2 appended to status-history (1 runs kept) on push 1');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(
    /history: run 77-2 \(degraded\) on status-history at [0-9a-f]{12}, 1 runs kept, 1 push\n/,
  );
  const stored = execFileSync('git', ['show', 'status-history:runs.jsonl'], {
    cwd: remote,
    encoding: 'utf8',
  });
  expect(JSON.parse(stored)).toEqual({
    v: 1,
    id: '77-2',
    at: '2026-11-30T11:45:00.000Z',
    status: 'degraded',
    regions: {
      'us-west-2': {
        state: 'degraded',
        ms: { dns: 1, connect: 2, tls: 3, firstByte: 4 },
        why: ['https us-west-2.coderdemo.io: slow'],
      },
    },
    incidents: { 'https:us-west-2': 9 },
  });
});
