import { findMergedPullRequest } from '../../../src/github/associated-pull.js';
import { INCIDENT_LABEL, syncIncidents } from '../../../src/github/incident-issues.js';
import { createOctokit } from '../../../src/github/octokit.js';
import { upsertStickyComment } from '../../../src/github/sticky-comment.js';
import { readGitHubSettings, writeOidcSubjectTemplate } from '../../../src/doctor/github-settings.js';
import { SUBJECT_CLAIM_KEYS } from '../../../src/github/oidc-subject.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../../src/sandbox/github-api-stand-in.js';
import { MemoryLogger } from '../../../src/util/logger.js';
import type { CheckResult } from '../../../src/verify/check-result.js';
import type { VerifyReport } from '../../../src/verify/verify-engine.js';
import { OpenApiConformance } from '../../helpers/openapi-conformance.js';

const spec = new OpenApiConformance();
let gh: GitHubApiStandIn;
beforeEach(async () => {
  gh = await startGitHubApiStandIn();
});
afterEach(async () => gh.close());

const repo = { owner: 'coderdemo', repo: 'coderdemo-gitops' };

function failing(region: string): CheckResult {
  return {
    check: 'tls',
    key: `tls:${region}.coderdemo.io`,
    incidentKey: `tls:${region}`,
    target: `${region}.coderdemo.io`,
    region,
    status: 'fail',
    summary: 'expires in 4 days (fail under 7)',
    attempts: 1,
    flaky: false,
    notes: [],
    details: {},
  };
}

function report(results: CheckResult[]): VerifyReport {
  return { results } as unknown as VerifyReport;
}

test('every GitHub call the product makes, and every answer of the stand-in, match GitHub’s OpenAPI description', async () => {
  const octokit = createOctokit('ghs_conformance', gh.url);
  const logger = new MemoryLogger();
  // Sticky plan comment: created, then edited in place.
  const sticky = { ...repo, issueNumber: 7, marker: '<!-- coder-gitops:plan -->', logger };
  await upsertStickyComment(octokit, { ...sticky, body: 'plan one' });
  await upsertStickyComment(octokit, { ...sticky, body: 'plan two' });
  // Incidents: opened, updated, closed.
  const t0 = new Date('2026-06-01T10:00:00Z');
  await syncIncidents(octokit, repo, report([failing('us-west-2')]), t0);
  await syncIncidents(
    octokit,
    repo,
    report([{ ...failing('us-west-2'), summary: 'expires in 3 days' }]),
    t0,
    {
      include: 'fail',
      commentEvery: 'run',
    },
  );
  await syncIncidents(octokit, repo, report([]), new Date('2026-06-01T11:00:00Z'));
  // The pull request merged as a commit.
  gh.associatedPulls.abc123 = [
    {
      number: 7,
      state: 'closed',
      merged_at: '2026-06-01T09:00:00Z',
      head: { sha: 'def456' },
      base: { ref: 'main' },
    },
  ];
  expect((await findMergedPullRequest(octokit, { ...repo, sha: 'abc123' }))?.headSha).toBe('def456');
  // doctor's reads and its one write.
  gh.settings.environments.production = {
    reviewers: ['lead'],
    preventSelfReview: true,
    branchPolicy: { protected_branches: false, custom_branch_policies: true },
    branchPolicies: [{ name: 'main', type: 'branch' }],
  };
  gh.settings.protections.main = { contexts: ['plan'] };
  await writeOidcSubjectTemplate(octokit, 'coderdemo/coderdemo-gitops', SUBJECT_CLAIM_KEYS);
  await readGitHubSettings(octokit, 'coderdemo/coderdemo-gitops', 'production', 'main');
  await readGitHubSettings(octokit, 'coderdemo/coderdemo-gitops', 'staging', 'release');

  const endpoints = new Set(gh.exchanges.map((x) => `${x.method} ${spec.templateOf(x.path)}`));
  expect([...endpoints].sort()).toEqual([
    'GET /repos/{owner}/{repo}/actions/oidc/customization/sub',
    'GET /repos/{owner}/{repo}/branches/{branch}/protection',
    'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls',
    'GET /repos/{owner}/{repo}/environments/{environment_name}',
    'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
    'GET /repos/{owner}/{repo}/issues',
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
    'PATCH /repos/{owner}/{repo}/issues/{issue_number}',
    'POST /repos/{owner}/{repo}/issues',
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    'PUT /repos/{owner}/{repo}/actions/oidc/customization/sub',
  ]);
  expect(gh.issues[0]).toMatchObject({ state: 'closed', labels: [INCIDENT_LABEL] });
  expect(gh.exchanges.flatMap((x) => spec.check(x))).toEqual([]);
}, 30_000);

test('a stand-in answer or a request that departs from the description is caught', () => {
  const path = '/repos/o/r/issues/7/comments';
  // The old stand-in's comment: no node_id, issue_url, url or user.
  expect(
    spec.check({
      method: 'POST',
      path,
      requestBody: '{"body":"x"}',
      status: 201,
      responseBody: JSON.stringify({ id: 1, body: 'x', html_url: 'https://github.example/comment/1' }),
    }),
  ).toEqual([expect.stringContaining("must have required property 'node_id'")]);
  // A request body of the wrong type.
  expect(
    spec.check({
      method: 'PATCH',
      path: '/repos/o/r/issues/3',
      requestBody: '{"state":"done"}',
      status: 404,
      responseBody: '',
    }),
  ).toEqual([expect.stringContaining('request body /state must be equal to one of the allowed values')]);
  // A path GitHub does not have, and a status the operation never answers.
  expect(
    spec.check({ method: 'GET', path: '/repos/o/r/plans', requestBody: '', status: 200, responseBody: '[]' }),
  ).toEqual(["GET /repos/o/r/plans → 200: no such path in GitHub's REST API"]);
  expect(
    spec.check({
      method: 'GET',
      path: '/repos/o/r/issues',
      requestBody: '',
      status: 202,
      responseBody: '[]',
    }),
  ).toEqual(['GET /repos/o/r/issues → 202: status 202 is not one /repos/{owner}/{repo}/issues GET answers']);
});
