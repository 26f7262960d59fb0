import type { HistoryLine, RegionSample, RoutingSample } from '../../src/status/history-line.js';

/**
 * A synthetic status history with known answers, for the page's tests and its bench row:
 * 30 days at one run every 15 minutes (2,880 runs) ending at {@link FIXTURE_END}.
 *  - us-east-2 and us-west-2 are in every run; eu-west-1 joined for the last 10 runs only.
 *  - us-west-2 is down for 8 runs (2 h) from run 2800, tracked by issue #42; Oregon is answered by
 *    us-east-2 meanwhile.
 *  - us-east-2 is degraded for one run (2870) with no issue.
 *  - eu-west-1 is degraded in the last 2 runs, still ongoing, issue #43.
 *  - Text from the "report" is hostile: a version and a summary carry markup.
 */

export const FIXTURE_END = Date.parse('2026-11-30T12:00:00.000Z');
export const RUN_MS = 15 * 60 * 1000;
export const FIXTURE_RUNS = 2880;
export const HOSTILE_VERSION = 'v2.29.1<img src=x onerror="window.__pwned=1">';
export const HOSTILE_WHY = 'https eu-west-1.coderdemo.io: </script><script>window.__pwned=2</script>';

const VANTAGE: [string, string][] = [
  ['ohio', 'us-east-2'],
  ['oregon', 'us-west-2'],
  ['ireland', 'eu-west-1'],
];
const NAMES = ['coderdemo.io', '*.coderdemo.io'];

/** Deterministic pseudo-random numbers (the same history every time). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The fixture's history, oldest first (`runs` from the end backwards: fewer runs keep the same last ones). */
export function fixtureHistory(runs: number = FIXTURE_RUNS): HistoryLine[] {
  const random = lcg(23);
  const out: HistoryLine[] = [];
  for (let i = FIXTURE_RUNS - runs; i < FIXTURE_RUNS; i++) {
    const at = new Date(FIXTURE_END - (FIXTURE_RUNS - 1 - i) * RUN_MS).toISOString();
    const regions: Record<string, RegionSample> = {};
    const incidents: Record<string, number> = {};
    const sample = (base: number, state: RegionSample['state'], version: string): RegionSample => ({
      state,
      ms: {
        dns: Math.round((2 + random() * 3) * 10) / 10,
        connect: Math.round((base + random() * 8) * 10) / 10,
        tls: Math.round((base * 1.4 + random() * 10) * 10) / 10,
        firstByte: Math.round((base * 2.5 + random() * 40 + (i % 97 === 0 ? 400 : 0)) * 10) / 10,
      },
      tlsDays: 80 - Math.floor(i / 96),
      version,
    });
    const westDown = i >= 2800 && i < 2808;
    const eastDegraded = i === 2870;
    regions['us-east-2'] = sample(12, eastDegraded ? 'degraded' : 'up', 'v2.29.1');
    if (eastDegraded) {
      regions['us-east-2'].why = ['tls *.us-east-2.coderdemo.io: certificate expires in 20 days'];
      incidents['tls:us-east-2'] = 0;
    }
    regions['us-west-2'] = sample(60, westDown ? 'down' : 'up', 'v2.29.1');
    if (westDown) {
      delete regions['us-west-2'].ms!.firstByte;
      regions['us-west-2'].why = ['https us-west-2.coderdemo.io: connection refused after 3 tries'];
      incidents['https:us-west-2'] = i === 2800 ? 0 : 42;
    }
    const inEu = i >= FIXTURE_RUNS - 10;
    if (inEu) {
      const euDegraded = i >= FIXTURE_RUNS - 2;
      regions['eu-west-1'] = sample(90, euDegraded ? 'degraded' : 'up', HOSTILE_VERSION);
      if (euDegraded) {
        regions['eu-west-1'].why = [HOSTILE_WHY];
        incidents['https:eu-west-1'] = 43;
      }
    }
    const routing: RoutingSample[] = [];
    for (const [vantage, expected] of VANTAGE) {
      for (const name of NAMES) {
        let answered = expected;
        if (expected === 'eu-west-1' && !inEu) answered = 'us-east-2';
        if (expected === 'us-west-2' && westDown) answered = 'us-east-2';
        routing.push([vantage, name, answered, 'pass']);
      }
    }
    const states = Object.values(regions).map((r) => r.state);
    out.push({
      v: 1,
      id: `${1000 + i}-1`,
      at,
      status: states.includes('down') ? 'fail' : states.includes('degraded') ? 'degraded' : 'pass',
      regions,
      routing,
      ...(Object.keys(incidents).length ? { incidents } : {}),
    });
  }
  return out;
}
