/**
 * The pull-request content corpus (issue 13): what a pull request can put in front of the plan to reach
 * past review. Each gitops/ case is a throwaway copy of the real gitops/ with one planted change, planned as
 * a pull request (base checkout of main → head): it must end in a clear error naming the file and line,
 * nothing may be fetched (a local HTTP server counts every connection) and nothing edited (the checkout
 * stays as committed). The marker cases plant a comment or an issue by another user: it is ignored, never
 * edited or closed.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { incidentMarker, INCIDENT_LABEL, syncIncidents } from '../../src/github/incident-issues.js';
import { upsertStickyComment } from '../../src/github/sticky-comment.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import { checkoutBase } from '../../src/plan/base-checkout.js';
import { changedFiles } from '../../src/gitops/changed-regions.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport } from '../../src/plan/plan-types.js';
import { planFetcher } from '../../src/plan/source-review.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { MemoryLogger } from '../../src/util/logger.js';
import type { VerifyReport } from '../../src/verify/verify-engine.js';
import { makeGitopsWorkspace, type GitopsWorkspace } from '../helpers/gitops-workspace.js';

/** A server that must never be reached: it counts connections, not just complete requests. */
let trap: Server;
let connections = 0;
let TRAP = '';
const workspaces: GitopsWorkspace[] = [];

beforeAll(async () => {
  trap = createServer((_req, res) =>
    res.end('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: fetched }\n'),
  );
  trap.on('connection', () => connections++);
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  TRAP = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => trap.close(() => r()));
  for (const w of workspaces) rmSync(w.dir, { recursive: true, force: true });
});

function edit(gitopsDir: string, rel: string, change: (text: string) => string): void {
  const file = path.join(gitopsDir, rel);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`planted change did nothing to ${rel}`);
  writeFileSync(file, after);
}

function status(dir: string): string {
  return execFileSync('git', ['status', '--porcelain', '--ignored'], { cwd: dir, encoding: 'utf8' });
}

/** Plans the workspace's head against its base, offline, as a fork's pull request is planned. */
async function planPullRequest(w: GitopsWorkspace): Promise<PlanReport> {
  const work = mkdtempSync(path.join(tmpdir(), 'pr-content-base-'));
  try {
    const baseDir = await checkoutBase(w.dir, w.baseSha, work, 'gitops');
    return await runPlan({
      gitopsDir: w.gitopsDir,
      baseDir,
      regions: 'all',
      changedFiles: await changedFiles(w.dir, w.baseSha, w.headSha),
      gitopsPath: 'gitops',
      headSha: w.headSha,
      baseRef: w.baseSha,
      offlineReason: 'pull request content corpus',
      logger: new MemoryLogger(),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const CASES: [string, (g: string) => void, RegExp][] = [
  [
    'a Transform in a template',
    (g) => edit(g, 'stacks/network.yaml', (t) => `Transform: AWS::Serverless-2016-10-31\n${t}`),
    /^gitops\/stacks\/network\.yaml:1 \(Transform\): Transform \(AWS::Serverless-2016-10-31\) is not allowed: a transform runs code in the account/,
  ],
  [
    'AWS::Include in a template',
    (g) =>
      edit(g, 'stacks/dns.yaml', (t) =>
        t.replace(
          /^Resources:\n/m,
          'Resources:\n  Fn::Transform:\n    Name: AWS::Include\n    Parameters:\n      Location: s3://somewhere/snippet.yaml\n',
        ),
      ),
    /^gitops\/stacks\/dns\.yaml:\d+ \(Resources\["Fn::Transform"\]\): Fn::Transform \(AWS::Include\) is not allowed/,
  ],
  [
    'a remote resource',
    (g) => appendFileSync(path.join(g, 'apps/base/kustomization.yaml'), `  - http://${TRAP}/x.yaml\n`),
    /^gitops\/apps\/base\/kustomization\.yaml:7 \(resources\[1\]\): "http:\/\/127\.0\.0\.1:\d+\/x\.yaml" is a URL: kustomize would fetch it/,
  ],
  [
    'a remote base in patches[].path',
    (g) =>
      appendFileSync(
        path.join(g, 'apps/base/coder/kustomization.yaml'),
        `patches:\n  - path: https://${TRAP}/patch.yaml\n    target: { kind: HelmRelease }\n`,
      ),
    /^gitops\/apps\/base\/coder\/kustomization\.yaml:8 \(patches\[0\]\.path\): "https:\/\/127\.0\.0\.1:\d+\/patch\.yaml" is a URL/,
  ],
  [
    'a ../ path outside gitops/',
    (g) => appendFileSync(path.join(g, 'apps/base/kustomization.yaml'), '  - ../../../outside\n'),
    /^gitops\/apps\/base\/kustomization\.yaml:7 \(resources\[1\]\): "\.\.\/\.\.\/\.\.\/outside" resolves to outside, outside gitops\//,
  ],
  [
    'a file:// git URL',
    (g) =>
      appendFileSync(
        path.join(g, 'apps/base/kustomization.yaml'),
        '  - file:///tmp/repo.git//base?ref=main\n',
      ),
    /^gitops\/apps\/base\/kustomization\.yaml:7 \(resources\[1\]\): "file:\/\/\/tmp\/repo\.git\/\/base\?ref=main" is a file:\/\/ URL/,
  ],
  [
    'a helmCharts entry',
    (g) =>
      appendFileSync(
        path.join(g, 'apps/base/coder/kustomization.yaml'),
        `helmCharts:\n  - name: coder\n    repo: http://${TRAP}/charts\n    version: 2.0.0\n`,
      ),
    /^gitops\/apps\/base\/coder\/kustomization\.yaml:7 \(helmCharts\): helmCharts is not allowed: kustomize's Helm inflator runs helm/,
  ],
  [
    'a symlinked file',
    (g) => symlinkSync('/etc/hostname', path.join(g, 'apps/base/coder/hostname.yaml')),
    /^gitops\/apps\/base\/coder\/hostname\.yaml:1: is a symbolic link \(to \/etc\/hostname\)/,
  ],
  [
    'a symlinked directory',
    (g) => {
      const outside = path.join(path.dirname(g), 'outside');
      mkdirSync(outside);
      writeFileSync(path.join(outside, 'kustomization.yaml'), 'resources: []\n');
      symlinkSync(outside, path.join(g, 'apps/base/linked'));
      appendFileSync(path.join(g, 'apps/base/kustomization.yaml'), '  - linked\n');
    },
    /^gitops\/apps\/base\/linked:1: is a symbolic link \(to .*outside\)/,
  ],
];

describe('pull-request content that reaches past review', () => {
  it('the unchanged tree plans without errors (the corpus starts from a valid gitops/)', async () => {
    const w = makeGitopsWorkspace();
    workspaces.push(w);
    const report = await planPullRequest(w);
    expect(report.errors).toEqual([]);
    expect(report.findings.filter((f) => f.rule === 'new-source')).toEqual([]);
  });

  it.each(CASES)(
    '%s: a clear error with file and line, nothing fetched, nothing edited',
    async (_name, plant, expected) => {
      const w = makeGitopsWorkspace(plant);
      workspaces.push(w);
      const before = status(w.dir);
      const connectionsBefore = connections;

      const report = await planPullRequest(w);

      expect(report.errors.map((e) => e.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(expected)]),
      );
      for (const e of report.errors) {
        expect(e.file).toMatch(/^gitops\//);
        expect(e.line).toBeGreaterThan(0);
        expect(e.message).not.toContain('    at ');
      }
      // Refused before anything else read the tree: nothing was planned or rendered.
      expect(report.regions).toEqual([]);
      expect(connections).toBe(connectionsBefore);
      expect(status(w.dir)).toBe(before);
    },
  );

  it('a source the pull request adds is flagged in the plan and not fetched', async () => {
    const url = `https://${TRAP}/charts`;
    const w = makeGitopsWorkspace((g) => {
      edit(g, 'platform.yaml', (t) => t.replace('allowedSources:\n', `allowedSources:\n  - ${url}\n`));
      writeFileSync(
        path.join(g, 'infrastructure/controllers/extra.yaml'),
        `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: extra\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: ${url}\n`,
      );
      edit(g, 'infrastructure/controllers/kustomization.yaml', (t) => `${t}  - extra.yaml\n`);
    });
    workspaces.push(w);
    const connectionsBefore = connections;

    const report = await planPullRequest(w);

    expect(report.errors).toEqual([]);
    expect(report.findings).toContainEqual({
      level: 'high',
      rule: 'new-source',
      subject: 'HelmRepository flux-system/extra',
      message: expect.stringMatching(
        /^fetches from https:\/\/127\.0\.0\.1:\d+\/charts \(gitops\/infrastructure\/controllers\/extra\.yaml:8\), which main's platform\.yaml does not allow/,
      ),
    });
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        level: 'medium',
        rule: 'new-source',
        message: `adds ${url}: once merged, Flux and the plan may fetch from it`,
      }),
    );
    expect(report.risk).toBe('high');

    // The plan's fetcher trusts main's list only: the head's own entry does not open the door.
    const base = mkdtempSync(path.join(tmpdir(), 'pr-content-base-'));
    try {
      const baseConfig = await loadGitops(await checkoutBase(w.dir, w.baseSha, base, 'gitops'));
      const out = await planFetcher(baseConfig).get(`${url}/index.yaml`, 'chart index');
      expect(out).toMatchObject({ outcome: 'not-allowed' });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
    expect(connections).toBe(connectionsBefore);
  });
});

describe('markers planted by another user', () => {
  let gh: GitHubApiStandIn;
  const repo = { owner: 'coderdemo', repo: 'coderdemo-gitops' };
  const MARKER = '<!-- coder-gitops:plan -->';
  beforeEach(async () => {
    gh = await startGitHubApiStandIn();
    gh.users['mallory-token'] = { login: 'mallory', type: 'User' };
  });
  afterEach(() => gh.close());
  const as = (token: string) => new Octokit({ baseUrl: gh.url, auth: token });

  it('a comment by another user with the plan marker is ignored: ours is created beside it, theirs never edited', async () => {
    await as('mallory-token').rest.issues.createComment({
      ...repo,
      issue_number: 7,
      body: `${MARKER}\n## Plan: no changes, risk none (looks like ours)`,
    });
    const planted = gh.comments[0]!;
    expect(planted.user.login).toBe('mallory');

    const out = await upsertStickyComment(as('workflow-token'), {
      ...repo,
      issueNumber: 7,
      marker: MARKER,
      body: '## Plan: risk high',
      logger: new MemoryLogger(),
    });
    expect(out.action).toBe('created');
    expect(gh.comments.map((c) => [c.user.login, c.body])).toEqual([
      ['mallory', planted.body],
      ['github-actions[bot]', `${MARKER}\n## Plan: risk high`],
    ]);
    // The second run edits our comment, still not theirs.
    const again = await upsertStickyComment(as('workflow-token'), {
      ...repo,
      issueNumber: 7,
      marker: MARKER,
      body: '## Plan: risk low',
      logger: new MemoryLogger(),
    });
    expect(again.action).toBe('updated');
    expect(gh.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([
      `/repos/coderdemo/coderdemo-gitops/issues/comments/${gh.comments[1]!.id}`,
    ]);
    expect(gh.comments[0]!.body).toBe(planted.body);
  });

  it('an issue by another user with the incident marker is ignored: never updated or closed, ours is opened', async () => {
    const key = 'tls:us-west-2';
    await as('mallory-token').rest.issues.create({
      ...repo,
      title: 'coder-gitops incident: tls in us-west-2',
      body: `${incidentMarker(key)}\nplanted`,
      labels: [INCIDENT_LABEL],
    });
    const planted = gh.issues[0]!;
    const report = (failing: boolean): VerifyReport => ({
      status: failing ? 'fail' : 'pass',
      results: failing
        ? [
            {
              check: 'tls',
              key: 'tls:us-west-2.coderdemo.io',
              incidentKey: key,
              target: 'us-west-2.coderdemo.io',
              region: 'us-west-2',
              status: 'fail',
              summary: 'expires in 4 days (fail under 7)',
              attempts: 1,
              flaky: false,
              notes: [],
              details: {},
            },
          ]
        : [],
      matrix: undefined,
      known: [],
      startedAt: new Date().toISOString(),
      durationMs: 1,
    });

    // Healthy: were it ours, it would be closed as recovered.
    const healthy = await syncIncidents(as('workflow-token'), repo, report(false), new Date());
    expect(healthy).toEqual({ opened: [], updated: [], closed: [], issues: {} });
    // Failing: ours is opened, theirs is not taken over.
    const failing = await syncIncidents(as('workflow-token'), repo, report(true), new Date());
    expect(failing.opened).toEqual([2]);
    expect(failing.updated).toEqual([]);
    expect(gh.issues[1]!.user.login).toBe('github-actions[bot]');
    expect(planted.state).toBe('open');
    expect(planted.body).toBe(`${incidentMarker(key)}\nplanted`);
    expect(gh.comments.filter((c) => c.issue === planted.number)).toEqual([]);
    expect(
      gh.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/issues/${planted.number}`)),
    ).toEqual([]);
  });
});
