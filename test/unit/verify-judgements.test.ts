import { judgeCapacity } from '../../src/verify/aurora-state.js';
import { tryAttempts } from '../../src/verify/attempts.js';
import { percentile } from '../../src/verify/cold-start-check.js';
import { expectedRegion, judgeAnswer } from '../../src/verify/routing-check.js';
import type { RegionHealth } from '../../src/verify/health-check.js';

describe('retries', () => {
  test('passing after a failed try is reported as flaky, with the backoff slept', async () => {
    const slept: number[] = [];
    const answers = [false, true];
    const out = await tryAttempts(
      async () => answers.shift()!,
      (v) => v,
      {
        attempts: 3,
        sleep: async (ms) => {
          slept.push(ms);
        },
        baseDelayMs: 100,
      },
    );
    expect(out).toMatchObject({ ok: true, attempts: 2, flaky: true, failures: [false] });
    expect(slept).toEqual([100]);
  });

  test('a check fails only after all its tries', async () => {
    let calls = 0;
    const out = await tryAttempts(
      async () => ++calls,
      () => false,
      { attempts: 3, sleep: async () => {} },
    );
    expect(out).toMatchObject({ ok: false, attempts: 3, flaky: false, value: 3 });
  });

  test('a first-try pass is not flaky', async () => {
    const out = await tryAttempts(
      async () => 1,
      () => true,
      { attempts: 3, sleep: async () => {} },
    );
    expect(out).toMatchObject({ ok: true, attempts: 1, flaky: false });
  });
});

describe('routing judgement', () => {
  const targets = new Map([
    ['us-east-2', ['192.0.2.10']],
    ['us-west-2', ['192.0.2.20']],
    ['eu-west-2', []],
  ]);
  const vantage = {
    name: 'london',
    clientSubnet: '18.130.0.0/24',
    expectedRegions: ['eu-west-2', 'us-east-2'],
  };

  test('the expected region is the first preference that is enabled and checked', () => {
    expect(expectedRegion(vantage, ['us-east-2', 'eu-west-2'], ['us-east-2', 'eu-west-2'])).toBe('eu-west-2');
    expect(expectedRegion(vantage, ['us-east-2', 'eu-west-2'], ['us-east-2'])).toBe('us-east-2');
    expect(expectedRegion(vantage, ['us-west-2'], ['us-west-2'])).toBeUndefined();
  });

  test('answer from the expected region passes', () => {
    expect(judgeAnswer({ values: ['192.0.2.10'] }, 'us-east-2', targets, undefined)).toMatchObject({
      status: 'pass',
      answeredRegion: 'us-east-2',
    });
  });

  test('another healthy region is degraded (latency answers shift)', () => {
    expect(judgeAnswer({ values: ['192.0.2.20'] }, 'us-east-2', targets, undefined)).toMatchObject({
      status: 'degraded',
      answeredRegion: 'us-west-2',
    });
  });

  test('an answer naming a region whose health check fails is a failure, even when expected', () => {
    const health = new Map<string, RegionHealth>([
      ['us-west-2', { region: 'us-west-2', healthy: false, checkersFailing: 15, checkersTotal: 16 }],
    ]);
    expect(judgeAnswer({ values: ['192.0.2.20'] }, 'us-west-2', targets, health).status).toBe('fail');
  });

  test('no answer fails; an answer matching no region is degraded', () => {
    expect(
      judgeAnswer({ values: [], error: 'NXDOMAIN from ns' }, 'us-east-2', targets, undefined).status,
    ).toBe('fail');
    const stray = judgeAnswer({ values: ['203.0.113.9'] }, 'us-east-2', targets, undefined);
    expect(stray.status).toBe('degraded');
    expect(stray.answeredRegion).toBeUndefined();
    expect(stray.summary).toMatch(/matches no region/);
  });
});

describe('Aurora capacity judgement', () => {
  const minute = (i: number): string => new Date(Date.UTC(2026, 5, 1, 12, i)).toISOString();
  const series = (values: number[]): { at: string; acu: number }[] =>
    values.map((acu, i) => ({ at: minute(i), acu }));

  test('a cluster above its minimum all hour never scales down, with the cost', () => {
    const w = judgeCapacity(
      { clusterId: 'c', region: 'us-east-2', minCapacity: 0.5 },
      series(Array(30).fill(2)),
    );
    expect(w).toMatchObject({ state: 'active', neverScalesDown: true, alwaysCold: false });
    expect(w.tradeOff).toMatch(/lowest 2 ACU.*\$131\/month/);
  });

  test('an auto-pausing cluster paused most of the hour is always cold, with the price of staying warm', () => {
    const w = judgeCapacity(
      { clusterId: 'c', region: 'us-east-2', minCapacity: 0, secondsUntilAutoPause: 300 },
      series([...Array(27).fill(0), 1, 0.5, 0]),
    );
    expect(w).toMatchObject({ state: 'paused', alwaysCold: true, neverScalesDown: false });
    expect(w.tradeOff).toMatch(/paused \(0 ACU\) for 93 %.*MinCapacity 0.5 ACU.*\$44\/month/);
  });

  test('a cluster that idles at its minimum is neither', () => {
    const w = judgeCapacity(
      { clusterId: 'c', region: 'us-east-2', minCapacity: 0.5 },
      series([...Array(20).fill(2), ...Array(10).fill(0.5)]),
    );
    expect(w).toMatchObject({
      state: 'idle-at-min',
      neverScalesDown: false,
      alwaysCold: false,
      tradeOff: undefined,
    });
  });

  test('too few datapoints say nothing about a trend', () => {
    const w = judgeCapacity({ clusterId: 'c', region: 'us-east-2', minCapacity: 0.5 }, series([2, 2]));
    expect(w.neverScalesDown).toBe(false);
    expect(judgeCapacity({ clusterId: 'c', region: 'us-east-2' }, []).state).toBe('unknown');
  });
});

test('p95 is nearest-rank', () => {
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 95)).toBe(100);
  expect(percentile([5, 1, 3], 50)).toBe(3);
  expect(percentile([], 95)).toBeUndefined();
});
