import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readTrustPolicy } from '../aws/iam/trust-policy-document.js';
import {
  checkGitHubSettings,
  checkTrustPolicies,
  GITHUB_OIDC_PROVIDER,
  type DoctorCheck,
} from '../doctor/doctor-checks.js';
import { readGitHubSettings, writeOidcSubjectTemplate } from '../doctor/github-settings.js';
import { parseTemplate } from '../gitops/cfn-yaml.js';
import { loadGitops } from '../gitops/load-gitops.js';
import { createOctokit } from '../github/octokit.js';
import { SUBJECT_CLAIM_KEYS } from '../github/oidc-subject.js';
import {
  readRequiredCheckNames,
  readRoleJobs,
  ROLE_VARIABLES,
  type RoleLogicalId,
} from '../github/workflow-roles.js';
import { textTable } from '../report/text-table.js';
import { InputError } from '../util/errors.js';
import { parseCommandArgs, str } from './args.js';
import { COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const DOCTOR_HELP = `coder-gitops doctor [--gitops-dir gitops] [--environment production] [--fix] [--json]
  Check the GitHub side the platform's trust rests on, through the GitHub API (GITHUB_TOKEN, GITHUB_API_URL):
  the repository's OIDC subject template, the environment's reviewers and deployment branches, the default
  branch's required status checks; and the trust policies of gitops/stacks/github-oidc.yaml against the
  subject template and the workflows. Prints each setting, expected and actual, with the fix; exits 1
  when one is off. --fix sets the OIDC subject template (the only setting with one right value).`;

/** `coder-gitops doctor`: exit 0 when every setting is as the platform expects, 1 otherwise. */
export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('doctor', argv, {
    ...COMMON_OPTIONS,
    environment: { type: 'string', default: 'production' },
    fix: { type: 'boolean', default: false },
  });
  if (values.help) return (process.stdout.write(`${DOCTOR_HELP}\n`), 0);
  const settings = commonSettings(values);
  const token = process.env.GITHUB_TOKEN || process.env.GH_TOKEN || '';
  if (!token)
    throw new InputError(
      'doctor',
      'set GITHUB_TOKEN (a token that may read the repository administration settings)',
    );
  const environment = str(values, 'environment') || 'production';
  const config = await loadGitops(settings.gitopsDir);
  const { repository, branch } = config.platform.github;
  const repoDir = dirname(settings.gitopsDir);

  const octokit = createOctokit(token, process.env.GITHUB_API_URL || 'https://api.github.com');
  let github = await readGitHubSettings(octokit, repository, environment, branch);
  const fixed: string[] = [];
  if (
    values.fix &&
    (github.oidcSubject.useDefault ||
      github.oidcSubject.includeClaimKeys.join() !== SUBJECT_CLAIM_KEYS.join())
  ) {
    await writeOidcSubjectTemplate(octokit, repository, SUBJECT_CLAIM_KEYS);
    fixed.push('OIDC subject template');
    github = await readGitHubSettings(octokit, repository, environment, branch);
  }
  const checks: DoctorCheck[] = checkGitHubSettings(github, {
    repository,
    branch,
    environment,
    requiredChecks: await readRequiredCheckNames(repoDir),
  });

  const templateFile = join(settings.gitopsDir, 'stacks', 'github-oidc.yaml');
  const template = parseTemplate(await readFile(templateFile, 'utf8'), templateFile);
  const names = {
    Project: config.platform.project,
    GitHubRepository: repository,
    'AWS::AccountId': config.platform.accountId,
    'AWS::Partition': 'aws',
    'AWS::Region': config.platform.account.region,
  };
  const provider = {
    ...GITHUB_OIDC_PROVIDER,
    arn: `arn:aws:iam::${config.platform.accountId}:oidc-provider/${GITHUB_OIDC_PROVIDER.url}`,
  };
  const trust = Object.fromEntries(
    Object.values(ROLE_VARIABLES).map((role) => [role, readTrustPolicy(template, role, names, provider.arn)]),
  ) as Record<RoleLogicalId, unknown>;
  checks.push(...checkTrustPolicies(trust, provider, await readRoleJobs(repoDir), { repository, branch }));

  const ok = checks.every((c) => c.ok);
  const text = [
    `doctor: ${repository} (${environment}, ${branch})${fixed.length ? `; fixed: ${fixed.join(', ')}` : ''}`,
    textTable(
      ['', 'setting', 'expected', 'actual'],
      checks.map((c) => [c.ok ? 'ok' : 'OFF', c.setting, c.expected, c.actual]),
    ),
    ...checks.filter((c) => !c.ok && c.fix).map((c) => `fix ${c.setting}: ${c.fix}`),
    ok ? 'every setting is as expected' : `${checks.filter((c) => !c.ok).length} setting(s) off`,
  ].join('\n');
  emit(settings, { ok, repository, environment, branch, fixed, checks }, text);
  return ok ? 0 : 1;
}
