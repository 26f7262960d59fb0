import { readFileSync } from 'node:fs';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { runAction } from '../helpers/run-action.js';
import { githubSubjects } from '../helpers/github-subjects.js';

const ACCOUNT = '123456789012';
const REPOSITORY = 'coder/coderdemo-gitops';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`;
const ACTIONS = ['plan-region', 'apply-region', 'verify-endpoints'] as const;
const SUBJECTS = githubSubjects(REPOSITORY);
const MAIN = SUBJECTS.rolloutPlan;
const PULL_REQUEST = SUBJECTS.pullRequest;

let moto: MotoServer;
let oidc: OidcTokenServer;
beforeAll(async () => {
  // IAM enforced, the account bootstrapped: the roles and trust policies of github-oidc.yaml.
  moto = await startMoto(ACCOUNT, { workflowRoles: { repository: REPOSITORY } });
  oidc = await startOidcTokenServer({ subject: MAIN });
});
afterEach(() => {
  oidc.subject = MAIN;
});
afterAll(async () => {
  await oidc.close();
  await moto.stop();
});

function awsEnv(): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
  };
}

describe.each(ACTIONS)('%s dist', (action) => {
  test('assumes the role through GitHub OIDC against the emulator and logs the role, never the keys', async () => {
    const before = oidc.requests.length;
    const run = await runAction({
      action,
      inputs: {
        'role-to-assume': ROLE,
        'allowed-account-ids': ACCOUNT,
        region: 'us-east-2',
        // Light work after the authentication this test is about: apply only plans its change sets,
        // verify probes nothing outside this machine (every name goes to a closed loopback port).
        'dry-run': 'true',
        checks: 'versions',
        resolve: 'coderdemo.io:443:127.0.0.1:9\n*.coderdemo.io:443:127.0.0.1:9',
      },
      env: {
        ...awsEnv(),
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      },
    });
    const served = oidc.requests.slice(before);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.every((r) => r.audience === 'sts.amazonaws.com' && r.authorized)).toBe(true);
    expect(run.stdout).toContain(`assumed ${ROLE} through GitHub OIDC (account ${ACCOUNT})`);
    // The keys are registered with the runner's masker (::add-mask::, which the runner consumes and never
    // shows) before anything else, and appear nowhere else (moto's temporary access keys start with ASIA).
    const masks = run.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
    expect(masks.some((l) => /^::add-mask::ASIA[A-Z0-9]{12,}$/.test(l))).toBe(true);
    const shown = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(shown.join('\n')).not.toMatch(/ASIA[A-Z0-9]{12,}/);
  });

  test('fails with one clear line when the job lacks id-token: write', async () => {
    const run = await runAction({
      action,
      inputs: { 'role-to-assume': ROLE },
      env: {
        ...awsEnv(),
        ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
      },
    });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain('permissions: id-token: write');
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  test('refuses an account outside allowed-account-ids', async () => {
    const run = await runAction({
      action,
      inputs: { 'role-to-assume': ROLE, 'allowed-account-ids': '999999999999' },
      env: {
        ...awsEnv(),
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      },
    });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain('not in allowed-account-ids (999999999999)');
  });

  test('a bad input exits 1 with one ::error:: line naming the input', async () => {
    const run = await runAction({ action, inputs: { 'role-to-assume': 'not-an-arn' }, env: awsEnv() });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain("input 'role-to-assume'");
    // The report file and the job summary are still written.
    expect(JSON.parse(readFileSync(run.outputs['report-file']!, 'utf8'))).toMatchObject({ status: 'failed' });
    expect(run.summary).toContain(`${action}: failed`);
  });
});

/*
 * rollout.yml's plan, apply and verify steps, each with the `sub` GitHub issues for its job
 * (workflow_dispatch on main; apply and verify in the production environment or on main), and a
 * pull request's token at the deploy role: the emulator evaluates each role's trust policy.
 */
describe('rollout.yml steps get their roles with the subjects GitHub issues', () => {
  const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-${name}`;
  const steps: [string, (typeof ACTIONS)[number], string, string][] = [
    ['plan', 'plan-region', 'plan', MAIN],
    ['apply', 'apply-region', 'deploy', SUBJECTS.rolloutApply],
    ['verify', 'verify-endpoints', 'verify', SUBJECTS.rolloutVerify],
  ];
  test.each(steps)('%s step (%s) assumes %s with sub %s', async (_step, action, roleName, sub) => {
    oidc.subject = sub;
    const run = await runAction({
      action,
      inputs: {
        'role-to-assume': role(roleName),
        'allowed-account-ids': ACCOUNT,
        region: 'us-east-2',
        'dry-run': 'true',
        checks: 'versions',
        resolve: 'coderdemo.io:443:127.0.0.1:9\n*.coderdemo.io:443:127.0.0.1:9',
      },
      env: {
        ...awsEnv(),
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      },
    });
    expect(run.stdout).toContain(`assumed ${role(roleName)} through GitHub OIDC (account ${ACCOUNT})`);
    expect(oidc.requests.at(-1)?.subject).toBe(sub);
    // Every call the step made after that was allowed under the enforced role.
    expect(run.stdout).not.toMatch(/AccessDenied|is not authorized to perform/);
  });

  test("a pull request's token is refused the deploy role, with the sub in the error", async () => {
    oidc.subject = PULL_REQUEST;
    const run = await runAction({
      action: 'apply-region',
      inputs: {
        'role-to-assume': role('deploy'),
        'allowed-account-ids': ACCOUNT,
        region: 'us-east-2',
        'dry-run': 'true',
      },
      env: {
        ...awsEnv(),
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      },
    });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`role ${role('deploy')} refused the GitHub OIDC token`);
    expect(run.errors[0]).toContain(`sub claim is '${PULL_REQUEST}'`);
    expect(run.stdout).not.toContain(`assumed ${role('deploy')}`);
  });
});
