import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { SUBJECT_CLAIM_KEYS } from '../../src/github/oidc-subject.js';
import { OpenApiConformance } from '../helpers/openapi-conformance.js';
import { runCli } from '../helpers/run-cli.js';

let gh: GitHubApiStandIn;
beforeEach(async () => {
  gh = await startGitHubApiStandIn();
});
afterEach(async () => gh.close());

const REQUIRED = [
  'typecheck, lint, bundles, gitops',
  'tests (unit, moto integration, dist e2e, workflow lint)',
  'plan',
];

function doctor(...args: string[]) {
  return runCli(['doctor', '--json', ...args], {
    GITHUB_TOKEN: 'ghs_doctor-test-token',
    GITHUB_API_URL: gh.url,
  });
}

interface Report {
  ok: boolean;
  fixed: string[];
  checks: { setting: string; expected: string; actual: string; ok: boolean; fix?: string }[];
}

function configureRight(): void {
  gh.settings.oidcSub = { use_default: false, include_claim_keys: [...SUBJECT_CLAIM_KEYS] };
  gh.settings.environments.production = {
    reviewers: ['platform-lead'],
    preventSelfReview: true,
    branchPolicy: { protected_branches: false, custom_branch_policies: true },
    branchPolicies: [{ name: 'main', type: 'branch' }],
  };
  gh.settings.protections.main = { contexts: [...REQUIRED] };
}

test('a fresh repository: the default subject template, an unrestricted production environment and a missing required check, each with its fix', async () => {
  gh.settings.environments.production = {
    reviewers: [],
    preventSelfReview: false,
    branchPolicy: null,
    branchPolicies: [],
  };
  gh.settings.protections.main = { contexts: ['typecheck, lint, bundles, gitops'] };
  const run = await doctor();
  expect(run.code).toBe(1);
  const report = JSON.parse(run.stdout) as Report;
  const off = Object.fromEntries(report.checks.filter((c) => !c.ok).map((c) => [c.setting, c]));
  expect(Object.keys(off).sort()).toEqual([
    'OIDC subject template',
    'branch main: required status checks',
    'environment production: deployment branches',
    'environment production: required reviewers',
  ]);
  expect(off['OIDC subject template']!.actual).toBe("GitHub's default (repo, context)");
  expect(off['OIDC subject template']!.fix).toContain('coder-gitops doctor --fix');
  expect(off['environment production: deployment branches']!.actual).toBe('any branch');
  expect(off['environment production: deployment branches']!.fix).toContain('main only');
  expect(off['branch main: required status checks']!.fix).toContain('plan');
  // The committed trust policies agree with the subject template and the workflows.
  expect(report.checks.filter((c) => c.setting.startsWith('trust of') && !c.ok)).toEqual([]);
  const text = await runCli(['doctor'], { GITHUB_TOKEN: 'ghs_doctor-test-token', GITHUB_API_URL: gh.url });
  expect(text.stdout).toContain('OFF');
  expect(text.stdout).toContain('fix OIDC subject template: coder-gitops doctor --fix');
  expect(text.stdout).not.toContain('ghs_doctor-test-token');
}, 30_000);

test('a missing environment and an unprotected branch are reported, not crashed on', async () => {
  const report = JSON.parse((await doctor()).stdout) as Report;
  const actual = Object.fromEntries(report.checks.map((c) => [c.setting, c.actual]));
  expect(actual['environment production: exists']).toBe('missing');
  expect(actual['branch main: required status checks']).toBe('branch not protected');
});

test('passes when every setting is right; --fix sets the subject template and nothing else', async () => {
  configureRight();
  const good = await doctor();
  expect(good.code).toBe(0);
  expect((JSON.parse(good.stdout) as Report).ok).toBe(true);

  gh.settings.oidcSub = { use_default: true };
  const fixed = await doctor('--fix');
  expect(fixed.code).toBe(0);
  expect((JSON.parse(fixed.stdout) as Report).fixed).toEqual(['OIDC subject template']);
  expect(gh.settings.oidcSub).toEqual({ use_default: false, include_claim_keys: [...SUBJECT_CLAIM_KEYS] });
  const writes = gh.requests.filter((r) => r.method !== 'GET');
  expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
    'PUT /repos/coderdemo/coderdemo-gitops/actions/oidc/customization/sub',
  ]);
  // What doctor sent and what the stand-in answered match GitHub's description.
  const spec = new OpenApiConformance();
  expect(gh.exchanges.flatMap((x) => spec.check(x))).toEqual([]);
}, 30_000);

test('without a token: one clear line, exit 2', async () => {
  const run = await runCli(['doctor'], { GITHUB_API_URL: gh.url });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('set GITHUB_TOKEN');
  expect(run.stderr).not.toMatch(/\n\s+at /);
});
