import { downsampleSeries } from '../../../src/status/downsample.js';
import type { HistoryLine } from '../../../src/status/history-line.js';
import { buildStatusModel, findIncidents } from '../../../src/status/status-model.js';
import { fixtureHistory } from '../../helpers/status-history.js';

describe('worst-in-bucket downsampling', () => {
  test('at or under the limit nothing changes', () => {
    const s = { t: [1, 2, 3], values: [[5, null, 7]] };
    expect(downsampleSeries(s, 3)).toBe(s);
  });

  test('each bucket keeps its largest value, so a spike survives, at the bucket’s last time', () => {
    const t = Array.from({ length: 12 }, (_, i) => i * 10);
    const dns = [1, 1, 1, 9, 1, 1, 1, 1, 1, 1, 1, 2];
    const tls = [null, null, null, null, 3, 3, 3, 3, null, null, null, null];
    const out = downsampleSeries({ t, values: [dns, tls] }, 3);
    expect(out.t).toEqual([30, 70, 110]);
    expect(out.values).toEqual([
      [9, 1, 2],
      [null, 3, null],
    ]);
  });

  test('30 days at one run every 15 minutes becomes 480 points', () => {
    const t = Array.from({ length: 2880 }, (_, i) => i * 900);
    const out = downsampleSeries({ t, values: [t.map(() => 1)] });
    expect(out.t).toHaveLength(480);
    expect(out.t[479]).toBe(t[2879]);
  });
});

describe('the page model of the fixture history', () => {
  const model = buildStatusModel(fixtureHistory());

  test('uptime per window counts the runs a region was not down in, ending at the last run', () => {
    const west = model.regions.find((r) => r.name === 'us-west-2')!;
    expect(west.uptime['24h']).toMatchObject({ runs: 96, down: 8 });
    expect(west.uptime['7d']).toMatchObject({ runs: 672, down: 8 });
    expect(west.uptime['30d']).toMatchObject({ runs: 2880, down: 8 });
    const eu = model.regions.find((r) => r.name === 'eu-west-1')!;
    // Degraded still serves users: it lowers nothing.
    expect(eu.uptime['24h']).toMatchObject({ runs: 10, degraded: 2, ratio: 1 });
    expect(model.overall).toBe('degraded');
  });

  test('routing buckets: 48 per row, the outage bucket shows both answers', () => {
    const oregon = model.routing.find((r) => r.vantage === 'oregon' && r.name === 'coderdemo.io')!;
    expect(oregon.cells).toHaveLength(48);
    expect(oregon.cells.filter((c) => Object.keys(c.answers).length > 1).map((c) => c.answers)).toEqual([
      { 'us-west-2': 52, 'us-east-2': 8 },
    ]);
  });
});

test('incidents: a key failing in consecutive runs is one incident; it ends at the first run without it', () => {
  const run = (at: string, incidents?: Record<string, number>): HistoryLine => ({
    v: 1,
    id: at,
    at,
    status: incidents ? 'fail' : 'pass',
    regions: {},
    ...(incidents ? { incidents } : {}),
  });
  const found = findIncidents([
    run('2026-11-30T10:00:00Z', { 'https:us-west-2': 0 }),
    run('2026-11-30T10:15:00Z', { 'https:us-west-2': 12, 'routing:global': 0 }),
    run('2026-11-30T10:30:00Z', { 'https:us-west-2': 12 }),
    run('2026-11-30T10:45:00Z'),
    run('2026-11-30T11:00:00Z', { 'https:us-west-2': 13 }),
  ]);
  expect(found).toEqual([
    {
      key: 'https:us-west-2',
      check: 'https',
      scope: 'us-west-2',
      start: '2026-11-30T11:00:00Z',
      durationMs: 0,
      runs: 1,
      issue: 13,
    },
    {
      key: 'routing:global',
      check: 'routing',
      scope: 'global',
      start: '2026-11-30T10:15:00Z',
      end: '2026-11-30T10:30:00Z',
      durationMs: 900_000,
      runs: 1,
    },
    {
      key: 'https:us-west-2',
      check: 'https',
      scope: 'us-west-2',
      start: '2026-11-30T10:00:00Z',
      end: '2026-11-30T10:45:00Z',
      durationMs: 2_700_000,
      runs: 3,
      issue: 12,
    },
  ]);
});

test('an empty history renders as no data, not as an outage', () => {
  expect(buildStatusModel([])).toMatchObject({
    overall: 'no-data',
    runs: 0,
    regions: [],
    incidents: [],
    routing: [],
  });
});
