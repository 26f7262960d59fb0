import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { githubSubjects } from '../helpers/github-subjects.js';
import { makeGitopsWorkspace, type GitopsWorkspace } from '../helpers/gitops-workspace.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { runAction, type ActionRun, type RunActionOptions } from '../helpers/run-action.js';

// Each action runs with credentials whose values the test knows: the OIDC token (a fixed JWT from the
// token endpoint below), the request token for that endpoint, the temporary AWS keys moto issues for
// AssumeRoleWithWebIdentity (read from the response through the proxy) and the github-token. None may
// appear in what people or other systems see: stdout (the ::add-mask:: registrations aside, which the
// runner consumes), stderr, the job summary, outputs, report files, or anything sent to the GitHub API.

const ACCOUNT = '123456789012';
const GITHUB_TOKEN = 'ghs_KnownGitHubToken0123456789abcdefXYZ';
const REQUEST_TOKEN = 'oidc-request-token-KnownValue-7f3a9c';
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const SUBJECTS = githubSubjects('coder/coderdemo-gitops');
/** A fixed JWT (known value) with the `sub` GitHub gives the job: the roles' trust checks it (IAM enforced). */
const idTokenFor = (subject: string) =>
  [
    b64({ alg: 'RS256', typ: 'JWT', kid: 'known' }),
    b64({
      iss: 'https://token.actions.githubusercontent.com',
      aud: 'sts.amazonaws.com',
      sub: subject,
      iat: 1_900_000_000,
      exp: 4_000_000_000,
      jti: 'known-jti-value-2c1e',
    }),
    Buffer.from('known-signature-bytes-for-the-secret-test').toString('base64url'),
  ].join('.');
let idToken = idTokenFor(SUBJECTS.pullRequest);

let moto: MotoServer;
let proxy: FaultProxy;
let github: GitHubApiStandIn;
let tokenServer: Server;
let tokenUrl: string;
let ws: GitopsWorkspace;
beforeAll(async () => {
  // IAM enforced, with the real workflow roles (github-oidc.yaml applied by the administrator): each
  // action runs with exactly the permissions its role has on AWS.
  moto = await startMoto(ACCOUNT, { workflowRoles: { repository: 'coder/coderdemo-gitops' } });
  proxy = await startFaultProxy({ upstream: moto.endpoint, record: /^sts\.AssumeRoleWithWebIdentity$/ });
  github = await startGitHubApiStandIn();
  tokenServer = createServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${REQUEST_TOKEN}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { value: idToken } : { message: 'bad request token' }));
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token?api-version=2.0`;
  // A reviewed change, so the plan has something to show and comment on.
  ws = makeGitopsWorkspace((dir) =>
    appendFileSync(join(dir, 'regions', 'us-west-2.yaml'), '\n# a reviewed change\n'),
  );
}, 180_000);
afterAll(async () => {
  tokenServer?.closeAllConnections();
  await new Promise<void>((r) => (tokenServer ? tokenServer.close(() => r()) : r()));
  await github?.close();
  await proxy?.close();
  await moto?.stop();
});

/** The temporary keys moto handed out through AssumeRoleWithWebIdentity so far. */
function issuedAwsSecrets(): string[] {
  const out: string[] = [];
  for (const { body } of proxy.recorded) {
    for (const tag of ['AccessKeyId', 'SecretAccessKey', 'SessionToken']) {
      const m = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(body);
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Every place a value could leak to, by name. */
function exposures(run: ActionRun, requestsBefore: number): Record<string, string> {
  const places: Record<string, string> = {
    stdout: run.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n'),
    stderr: run.stderr,
    summary: run.summary,
    'GitHub API request bodies': github.requests
      .slice(requestsBefore)
      .map((r) => `${r.method} ${r.path}\n${r.body}`)
      .join('\n'),
  };
  // Reports, the outputs file and anything else the action wrote under RUNNER_TEMP (the event is ours).
  for (const f of filesUnder(run.tempDir)) {
    if (f.endsWith('event.json')) continue;
    places[f.slice(run.tempDir.length + 1)] = readFileSync(f, 'utf8');
  }
  for (const [name, value] of Object.entries(run.outputs)) {
    if (value.startsWith('/') && value.startsWith(run.tempDir)) continue; // read above
    places[`output ${name}`] = value;
  }
  return places;
}

const CASES: {
  action: RunActionOptions['action'];
  role: string;
  /** The job's OIDC subject (the workflow that runs this action with this role). */
  subject: string;
  inputs: Record<string, string>;
  event?: () => Record<string, unknown>;
}[] = [
  {
    action: 'plan-region',
    role: `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`,
    subject: SUBJECTS.pullRequest,
    inputs: { region: 'all', comment: 'true' },
    event: () => ({
      number: 7,
      pull_request: {
        number: 7,
        title: 'Change us-west-2',
        head: { sha: ws.headSha, ref: 'feature', repo: { full_name: 'coder/coderdemo-gitops', fork: false } },
        base: { sha: ws.baseSha, ref: 'main', repo: { full_name: 'coder/coderdemo-gitops' } },
      },
    }),
  },
  {
    action: 'apply-region',
    role: `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-deploy`,
    subject: SUBJECTS.deployApply,
    inputs: { region: 'us-east-2', cluster: 'skip', dns: 'hold', 'timeout-minutes': '5' },
  },
  {
    action: 'verify-endpoints',
    role: `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-verify`,
    subject: SUBJECTS.deployVerify,
    inputs: { region: 'us-east-2', checks: 'health,versions', attempts: '1' },
  },
];

describe.each(CASES)('$action with known credentials', ({ action, role, subject, inputs, event }) => {
  test('no credential value appears in stdout, summary, outputs, report files or GitHub requests', async () => {
    idToken = idTokenFor(subject);
    const issuedIdToken = idToken;
    const requestsBefore = github.requests.length;
    const recordedBefore = proxy.recorded.length;
    const run = await runAction({
      action,
      cwd: ws.dir,
      eventName: event ? 'pull_request' : 'push',
      event: event?.() ?? {},
      inputs: {
        'role-to-assume': role,
        'allowed-account-ids': ACCOUNT,
        'github-token': GITHUB_TOKEN,
        ...inputs,
      },
      env: {
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
        GITHUB_API_URL: github.url,
        GITHUB_SHA: ws.headSha,
      },
    });
    // The run really used the credentials: it assumed the role, and moto issued keys for it.
    expect(run.stdout).toContain(`assumed ${role} through GitHub OIDC`);
    expect(proxy.recorded.length).toBeGreaterThan(recordedBefore);
    const aws = issuedAwsSecrets();
    expect(aws.length).toBeGreaterThanOrEqual(3);
    if (action === 'plan-region') expect(github.requests.length).toBeGreaterThan(requestsBefore);

    const secrets: Record<string, string> = {
      'github-token': GITHUB_TOKEN,
      'OIDC request token': REQUEST_TOKEN,
      'OIDC ID token': issuedIdToken,
      'OIDC ID token signature': issuedIdToken.split('.')[2]!,
    };
    aws.forEach((v, i) => (secrets[`AWS credential ${i}`] = v));
    const leaks: string[] = [];
    for (const [place, text] of Object.entries(exposures(run, requestsBefore)))
      for (const [name, value] of Object.entries(secrets))
        if (text.includes(value)) leaks.push(`${name} in ${place}`);
    expect(leaks).toEqual([]);
    // And each was registered with the runner's masker before use.
    const masks = run.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
    for (const value of [GITHUB_TOKEN, issuedIdToken]) expect(masks).toContain(`::add-mask::${value}`);
  }, 180_000);
});
