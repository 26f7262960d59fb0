import type { CheckResult } from '../../../src/verify/check-result.js';
import type { VerifyReport } from '../../../src/verify/verify-engine.js';
import {
  historyLineFromReport,
  parseHistoryLine,
  serializeHistoryLine,
} from '../../../src/status/history-line.js';
import { formatHistory, normalizeHistory, parseHistoryText } from '../../../src/status/history-file.js';
import { ConfigurationError } from '../../../src/util/errors.js';

function result(over: Partial<CheckResult>): CheckResult {
  return {
    check: 'https',
    key: 'https:us-west-2.coderdemo.io',
    incidentKey: 'https:us-west-2',
    target: 'us-west-2.coderdemo.io',
    region: 'us-west-2',
    status: 'pass',
    summary: 'HTTP 200',
    attempts: 1,
    flaky: false,
    notes: [],
    details: {},
    ...over,
  };
}

/** The shapes verify-engine reports (https-check, tls-check, versions-check, routing-check). */
const report: VerifyReport = {
  status: 'fail',
  startedAt: '2026-11-30T11:45:00.000Z',
  durationMs: 4200,
  known: [],
  results: [
    result({ timings: { dns: 1.2, connect: 20.5, tls: 31, firstByte: 80.4, total: 140 } }),
    // The random name under the region's wildcard is not the region's own latency.
    result({
      key: 'https:*.us-west-2.coderdemo.io',
      target: '*.us-west-2.coderdemo.io',
      timings: { dns: 99, connect: 99, tls: 99, firstByte: 999 },
    }),
    result({ check: 'tls', key: 'tls:us-west-2.coderdemo.io', details: { daysToExpiry: 61 } }),
    result({
      check: 'tls',
      key: 'tls:*.us-west-2.coderdemo.io',
      target: '*.us-west-2.coderdemo.io',
      details: { daysToExpiry: 12 },
      status: 'warn',
    }),
    result({
      region: 'us-east-2',
      target: 'us-east-2.coderdemo.io',
      incidentKey: 'https:us-east-2',
      status: 'fail',
      summary: 'connection refused after 3 tries',
      timings: { dns: 1, connect: undefined },
    }),
    result({
      check: 'health',
      region: 'eu-west-1',
      target: 'eu-west-1',
      incidentKey: 'health:eu-west-1',
      status: 'degraded',
      summary: 'health check failing in 1 of 3 checkers',
    }),
    result({
      check: 'versions',
      region: undefined,
      target: 'all regions',
      incidentKey: 'versions:global',
      status: 'degraded',
      summary: 'versions differ',
      details: { versions: { 'us-west-2': 'v2.29.1', 'us-east-2': 'v2.28.0' }, missing: [] },
    }),
  ],
  matrix: {
    vantagePoints: ['oregon'],
    names: ['coderdemo.io'],
    cells: [
      {
        vantage: 'oregon',
        name: 'coderdemo.io',
        expectedRegion: 'us-west-2',
        answeredRegion: 'us-west-2',
        addresses: ['192.0.2.1'],
        status: 'pass',
        source: 'dns',
      },
      {
        vantage: 'oregon',
        name: 'coderdemo.io',
        answeredRegion: 'us-east-2',
        addresses: [],
        status: 'pass',
        source: 'route53',
      },
      { vantage: 'ohio', name: 'coderdemo.io', addresses: [], status: 'fail', source: 'dns' },
    ],
  },
};

describe('a history line from a verify report', () => {
  const line = historyLineFromReport(report, '123-1', { 'https:us-east-2': 77 });

  test('each region: state, its own name phase timings, the fewest TLS days, its Coder version', () => {
    expect(line.regions).toEqual({
      'eu-west-1': { state: 'degraded', why: ['health eu-west-1: health check failing in 1 of 3 checkers'] },
      'us-east-2': {
        state: 'down',
        ms: { dns: 1 },
        version: 'v2.28.0',
        why: ['https us-east-2.coderdemo.io: connection refused after 3 tries'],
      },
      'us-west-2': {
        state: 'up',
        ms: { dns: 1.2, connect: 20.5, tls: 31, firstByte: 80.4 },
        tlsDays: 12,
        version: 'v2.29.1',
      },
    });
    expect(line).toMatchObject({ v: 1, id: '123-1', at: '2026-11-30T11:45:00.000Z', status: 'fail' });
  });

  test('the DNS routing matrix only (TestDNSAnswer rows are another source), an unmatched answer as ""', () => {
    expect(line.routing).toEqual([
      ['oregon', 'coderdemo.io', 'us-west-2', 'pass'],
      ['ohio', 'coderdemo.io', '', 'fail'],
    ]);
  });

  test('every failing or degraded incident key, with its issue number or 0', () => {
    expect(line.incidents).toEqual({ 'health:eu-west-1': 0, 'https:us-east-2': 77, 'versions:global': 0 });
  });

  test('one compact line that parses back to itself', () => {
    const text = serializeHistoryLine(line);
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(700);
    expect(parseHistoryLine(text, 'runs.jsonl', 1)).toEqual(line);
  });
});

describe('reading the history', () => {
  test.each([
    ['not JSON', '{"v":1,', 'runs.jsonl:3: not JSON'],
    ['another version', '{"v":2}', 'runs.jsonl:3 (v): version 2 is not 1'],
    [
      'a bad time',
      '{"v":1,"id":"1","at":"yesterday","status":"pass","regions":{}}',
      'runs.jsonl:3 (at): must be an ISO 8601 time',
    ],
    [
      'a bad state',
      '{"v":1,"id":"1","at":"2026-11-30T00:00:00Z","status":"pass","regions":{"r":{"state":"sideways"}}}',
      'runs.jsonl:3 (regions.r.state): must be one of up, degraded, down',
    ],
    [
      'a bad phase',
      '{"v":1,"id":"1","at":"2026-11-30T00:00:00Z","status":"pass","regions":{"r":{"state":"up","ms":{"total":3}}}}',
      'runs.jsonl:3 (regions.r.ms.total): phase must be one of dns, connect, tls, firstByte',
    ],
    [
      'a bad issue number',
      '{"v":1,"id":"1","at":"2026-11-30T00:00:00Z","status":"pass","regions":{},"incidents":{"https:r":"#4"}}',
      'runs.jsonl:3 (incidents.https:r): must be an issue number (0: none)',
    ],
  ])('%s is a ConfigurationError naming the file, line and field', (_what, text, message) => {
    const run = () => parseHistoryText(`\n\n${text}\n`, 'runs.jsonl');
    expect(run).toThrow(ConfigurationError);
    expect(run).toThrow(message);
  });

  test('normalising: one line per run id (the later wins), oldest first, nothing past the window', () => {
    const at = (iso: string, id: string, status: 'pass' | 'fail' = 'pass') => ({
      v: 1 as const,
      id,
      at: iso,
      status,
      regions: {},
    });
    const lines = normalizeHistory(
      [
        at('2026-11-30T10:00:00Z', 'b'),
        at('2026-11-30T09:00:00Z', 'a'),
        at('2026-10-01T00:00:00Z', 'old'),
        at('2026-11-30T10:00:00Z', 'b', 'fail'),
      ],
      new Date('2026-11-30T12:00:00Z'),
    );
    expect(lines.map((l) => [l.id, l.status])).toEqual([
      ['a', 'pass'],
      ['b', 'fail'],
    ]);
    expect(formatHistory(lines).split('\n')).toHaveLength(3);
  });
});
