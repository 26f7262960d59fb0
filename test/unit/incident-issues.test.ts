import { createServer, type Server } from 'node:http';
import { Octokit } from '@octokit/rest';
import {
  formatDuration,
  incidentFindings,
  incidentMarker,
  INCIDENT_LABEL,
  parseIncidentMarker,
  planIncidentActions,
  syncIncidents,
  type IncidentFinding,
} from '../../src/github/incident-issues.js';
import type { CheckResult } from '../../src/verify/check-result.js';
import type { VerifyReport } from '../../src/verify/verify-engine.js';

function result(over: Partial<CheckResult>): CheckResult {
  return {
    check: 'tls',
    key: 'tls:us-west-2.coderdemo.io',
    incidentKey: 'tls:us-west-2',
    target: 'us-west-2.coderdemo.io',
    region: 'us-west-2',
    status: 'fail',
    summary: 'expires in 4 days (fail under 7)',
    attempts: 1,
    flaky: false,
    notes: [],
    details: {},
    ...over,
  };
}

const finding = (key: string, line = '- failing'): IncidentFinding => ({
  key,
  title: `incident ${key}`,
  lines: [line],
});
const t0 = new Date('2026-06-01T10:00:00Z');

describe('incident state machine', () => {
  test('a new failing key opens one issue carrying its marker', () => {
    const actions = planIncidentActions([finding('tls:us-west-2')], [], t0);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: 'open', key: 'tls:us-west-2' });
    expect(parseIncidentMarker((actions[0] as { body: string }).body)).toBe('tls:us-west-2');
  });

  test('a key that is already open is not opened again; it is updated when what fails changed', () => {
    const opened = planIncidentActions([finding('tls:us-west-2', '- 4 days')], [], t0)[0] as { body: string };
    const digest = /digest:([0-9a-f]+)/.exec(opened.body)![1];
    const open = [{ number: 7, key: 'tls:us-west-2', createdAt: t0.toISOString(), digest }];
    expect(planIncidentActions([finding('tls:us-west-2', '- 4 days')], open, t0)).toEqual([]);
    const changed = planIncidentActions([finding('tls:us-west-2', '- 3 days')], open, t0);
    expect(changed).toMatchObject([{ kind: 'update', number: 7 }]);
    expect(
      planIncidentActions([finding('tls:us-west-2', '- 4 days')], open, t0, { commentEvery: 'run' }),
    ).toMatchObject([{ kind: 'update', number: 7 }]);
  });

  test('a recovered key is closed with how long the outage lasted', () => {
    const open = [{ number: 7, key: 'tls:us-west-2', createdAt: '2026-06-01T08:45:00Z' }];
    const actions = planIncidentActions([], open, t0);
    expect(actions).toMatchObject([{ kind: 'close', number: 7, durationMs: 75 * 60_000 }]);
    expect((actions[0] as { comment: string }).comment).toContain('Outage lasted 1 h 15 min');
  });

  test('duplicates of a key are closed, keeping the oldest issue', () => {
    const open = [
      { number: 9, key: 'routing:global', createdAt: t0.toISOString() },
      { number: 4, key: 'routing:global', createdAt: t0.toISOString() },
    ];
    const actions = planIncidentActions([finding('routing:global')], open, t0, { commentEvery: 'run' });
    expect(actions).toMatchObject([
      { kind: 'close', number: 9, comment: expect.stringContaining('Duplicate of #4') },
      { kind: 'update', number: 4 },
    ]);
  });

  test('findings group results by incident key; degraded counts only when asked', () => {
    const results = [
      result({}),
      result({ key: 'tls:*.us-west-2.coderdemo.io', target: '*.us-west-2.coderdemo.io' }),
      result({
        check: 'routing',
        key: 'routing:london',
        incidentKey: 'routing:global',
        status: 'degraded',
        target: 'london',
      }),
      result({ check: 'https', key: 'https:x', incidentKey: 'https:us-east-2', status: 'pass' }),
    ];
    const fails = incidentFindings(results);
    expect(fails.map((f) => f.key)).toEqual(['tls:us-west-2']);
    expect(fails[0]!.lines).toHaveLength(2);
    expect(fails[0]!.title).toBe('coder-gitops incident: tls in us-west-2');
    expect(incidentFindings(results, { include: 'fail-and-degraded' }).map((f) => f.key)).toEqual([
      'tls:us-west-2',
      'routing:global',
    ]);
  });

  test('durations read like a person wrote them', () => {
    expect(formatDuration(40_000)).toBe('40 s');
    expect(formatDuration(14 * 60_000)).toBe('14 min');
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h');
  });
});

/** Just enough of the GitHub issues API for syncIncidents. */
function githubStandIn(): {
  server: Server;
  issues: Map<number, Record<string, unknown>>;
  comments: { issue: number; body: string }[];
} {
  const issues = new Map<number, Record<string, unknown>>();
  const comments: { issue: number; body: string }[] = [];
  let next = 1;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, data: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && url.pathname === '/repos/coder/demo/issues') {
        const label = url.searchParams.get('labels');
        return send(
          200,
          [...issues.values()].filter(
            (i) =>
              i.state === url.searchParams.get('state') &&
              (i.labels as { name: string }[]).some((l) => l.name === label),
          ),
        );
      }
      if (req.method === 'POST' && url.pathname === '/repos/coder/demo/issues') {
        const n = next++;
        const issue = {
          number: n,
          title: body.title,
          body: body.body,
          state: 'open',
          // Written with the workflow's token: the author syncIncidents trusts by default.
          user: { login: 'github-actions[bot]', type: 'Bot' },
          labels: (body.labels as string[]).map((name) => ({ name })),
          created_at: new Date(Date.now() - 3_600_000).toISOString(),
        };
        issues.set(n, issue);
        return send(201, issue);
      }
      if (
        (m = /^\/repos\/coder\/demo\/issues\/(\d+)\/comments$/.exec(url.pathname)) &&
        req.method === 'POST'
      ) {
        comments.push({ issue: Number(m[1]), body: String(body.body) });
        return send(201, { id: comments.length });
      }
      if ((m = /^\/repos\/coder\/demo\/issues\/(\d+)$/.exec(url.pathname)) && req.method === 'PATCH') {
        const issue = issues.get(Number(m[1]))!;
        Object.assign(issue, body);
        return send(200, issue);
      }
      send(404, { message: 'Not Found' });
    });
  });
  return { server, issues, comments };
}

describe('syncIncidents against a GitHub API stand-in', () => {
  const gh = githubStandIn();
  let octokit: Octokit;
  beforeAll(async () => {
    await new Promise<void>((r) => gh.server.listen(0, '127.0.0.1', () => r()));
    octokit = new Octokit({
      baseUrl: `http://127.0.0.1:${(gh.server.address() as { port: number }).port}`,
      auth: 'test-token',
    });
  });
  afterAll(async () => {
    await new Promise((r) => gh.server.close(r));
  });

  const report = (results: CheckResult[]): VerifyReport => ({
    status: results.some((r) => r.status === 'fail') ? 'fail' : 'pass',
    results,
    matrix: undefined,
    known: [],
    startedAt: t0.toISOString(),
    durationMs: 1,
  });

  test('opens once, stays quiet while nothing changes, comments on change, closes on recovery', async () => {
    const first = await syncIncidents(octokit, { owner: 'coder', repo: 'demo' }, report([result({})]), t0);
    expect(first.opened).toHaveLength(1);
    const number = first.opened[0]!;
    const issue = gh.issues.get(number)!;
    expect(issue.labels).toEqual([{ name: INCIDENT_LABEL }]);
    expect(String(issue.body)).toContain(incidentMarker('tls:us-west-2'));

    const again = await syncIncidents(octokit, { owner: 'coder', repo: 'demo' }, report([result({})]), t0);
    expect(again).toEqual({ opened: [], updated: [], closed: [] });
    expect(gh.issues.size).toBe(1);

    const worse = await syncIncidents(
      octokit,
      { owner: 'coder', repo: 'demo' },
      report([result({ summary: 'expires in 3 days (fail under 7)' })]),
      t0,
    );
    expect(worse.updated).toEqual([number]);
    expect(gh.comments.at(-1)?.body).toContain('expires in 3 days');

    const healed = await syncIncidents(
      octokit,
      { owner: 'coder', repo: 'demo' },
      report([result({ status: 'pass', summary: 'valid' })]),
      new Date(Date.now()),
    );
    expect(healed.closed).toEqual([number]);
    expect(gh.issues.get(number)!.state).toBe('closed');
    expect(gh.comments.at(-1)?.body).toMatch(/Outage lasted (59|60) min|Outage lasted 1 h 0 min/);
  });
});
