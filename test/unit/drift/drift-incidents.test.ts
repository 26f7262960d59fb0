import { createOctokit } from '../../../src/github/octokit.js';
import { INCIDENT_LABEL, syncIncidents } from '../../../src/github/incident-issues.js';
import { DRIFT_INCIDENTS, driftFindings, syncDriftIncidents } from '../../../src/drift/drift-incidents.js';
import type { DriftReport } from '../../../src/drift/drift-types.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../../src/sandbox/github-api-stand-in.js';
import type { VerifyReport } from '../../../src/verify/verify-engine.js';

const REPO = { owner: 'coder', repo: 'coder-gitops' };
let github: GitHubApiStandIn;
beforeAll(async () => (github = await startGitHubApiStandIn()));
afterAll(() => github.close());

function report(over: Partial<DriftReport>): DriftReport {
  return {
    status: 'drifted',
    stacks: [],
    dns: [],
    flux: [],
    errors: [],
    apiCalls: {},
    startedAt: '2026-12-01T09:00:00Z',
    durationMs: 1,
    ...over,
  };
}

const driftedStack = report({
  stacks: [
    {
      region: 'us-west-2',
      deployRegion: 'us-west-2',
      stack: 'network',
      stackName: 'coderdemo-us-west-2-network',
      status: 'drifted',
      drifted: [
        {
          logicalId: 'NatSecurityGroup',
          type: 'AWS::EC2::SecurityGroup',
          status: 'MODIFIED',
          properties: [
            {
              path: '/SecurityGroupIngress/0/CidrIp',
              difference: 'NOT_EQUAL',
              expected: '10.1.0.0/16',
              actual: '0.0.0.0/0',
            },
          ],
        },
      ],
      notChecked: [
        { logicalId: 'PrivateRoute0', type: 'AWS::EC2::Route', status: 'NOT_CHECKED', properties: [] },
      ],
    },
    {
      region: 'us-west-2',
      deployRegion: 'us-west-2',
      stack: 'eks',
      stackName: 'coderdemo-us-west-2-eks',
      status: 'in-sync',
      drifted: [],
      notChecked: [
        { logicalId: 'Cluster', type: 'AWS::EKS::Cluster', status: 'NOT_CHECKED', properties: [] },
      ],
    },
  ],
});

test('one finding per drifted stack, listing what was not checked; an in-sync stack opens nothing', () => {
  const findings = driftFindings(driftedStack);
  expect(findings.map((f) => f.key)).toEqual(['stack:coderdemo-us-west-2-network']);
  expect(findings[0]!.lines).toEqual([
    '- NatSecurityGroup (AWS::EC2::SecurityGroup) /SecurityGroupIngress/0/CidrIp: Git 10.1.0.0/16, actual 0.0.0.0/0',
    '- not checked: PrivateRoute0 (AWS::EC2::Route)',
  ]);
});

test('drift and synthetics issues never close each other', async () => {
  const synthetic: VerifyReport = {
    status: 'fail',
    results: [
      {
        check: 'tls',
        key: 'tls:us-west-2.coderdemo.io',
        incidentKey: 'tls:us-west-2',
        target: 'us-west-2.coderdemo.io',
        region: 'us-west-2',
        status: 'fail',
        summary: 'expired',
        attempts: 1,
        flaky: false,
        notes: [],
        details: {},
      },
    ],
    matrix: undefined,
    known: [],
    startedAt: '2026-12-01T09:00:00Z',
    durationMs: 1,
  };
  const octokit = createOctokit('ghs_test', github.url);
  const now = new Date('2026-12-01T09:00:00Z');
  const tls = await syncIncidents(octokit, REPO, synthetic, now);
  const drift = await syncDriftIncidents({
    report: driftedStack,
    repo: REPO,
    token: 'ghs_test',
    apiUrl: github.url,
    now,
  });
  expect([tls.opened.length, drift.opened.length]).toEqual([1, 1]);
  expect(github.issues.find((i) => i.number === drift.opened[0])!.labels).toEqual([DRIFT_INCIDENTS.label]);
  // Both in sync / healthy now: each closes only its own issue.
  const healthy: VerifyReport = { ...synthetic, status: 'pass', results: [] };
  const driftClosed = await syncDriftIncidents({
    report: report({ status: 'in-sync' }),
    repo: REPO,
    token: 'ghs_test',
    apiUrl: github.url,
    now,
  });
  expect(driftClosed.closed).toEqual(drift.opened);
  expect(github.issues.find((i) => i.number === tls.opened[0])!.state).toBe('open');
  const tlsClosed = await syncIncidents(octokit, REPO, healthy, now);
  expect(tlsClosed.closed).toEqual(tls.opened);
  expect(github.issues.find((i) => i.number === tls.opened[0])!.labels).toEqual([INCIDENT_LABEL]);
});

test('a drift issue planted by someone else with the marker is neither updated nor closed', async () => {
  github.users['ghp_someone'] = { login: 'someone', type: 'User' };
  const key = 'stack:coderdemo-us-west-2-network';
  const planted = await createOctokit('ghp_someone', github.url).rest.issues.create({
    ...REPO,
    title: 'planted',
    body: `<!-- coder-gitops:drift:${key} -->\nlooks like ours`,
    labels: [DRIFT_INCIDENTS.label],
  });
  const now = new Date('2026-12-01T10:00:00Z');
  const sync = (r: DriftReport) =>
    syncDriftIncidents({ report: r, repo: REPO, token: 'ghs_test', apiUrl: github.url, now });
  const opened = await sync(driftedStack);
  expect(opened.opened).toHaveLength(1);
  expect(opened.opened[0]).not.toBe(planted.data.number);
  expect(opened.updated).toEqual([]);
  const closed = await sync(report({ status: 'in-sync' }));
  expect(closed.closed).toEqual(opened.opened);
  expect(github.issues.find((i) => i.number === planted.data.number)!.state).toBe('open');
});
