import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CredentialsError,
  oidcCredentialProvider,
  resolveCredentials,
  sessionName,
  type CredentialOptions,
} from '../../../src/aws/oidc-credentials.js';
import { MemoryLogger } from '../../../src/util/logger.js';

const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const sts = mockClient(STSClient);
const claims = { sub: 'repo:coder/coderdemo-gitops:pull_request', aud: 'sts.amazonaws.com' };
const token = ['h', Buffer.from(JSON.stringify(claims)).toString('base64url'), 's'].join('.');

function creds(n: number, expiresInMs: number) {
  return {
    Credentials: {
      AccessKeyId: `ASIAKEY${n}XXXXXXXXX`,
      SecretAccessKey: `secret-${n}-xxxxxxxx`,
      SessionToken: `session-${n}-xxxxxxxx`,
      Expiration: new Date(Date.now() + expiresInMs),
    },
  };
}

function options(extra: Partial<CredentialOptions> = {}): CredentialOptions {
  return {
    roleToAssume: ROLE,
    region: 'us-east-2',
    actionName: 'apply-region',
    runId: '77',
    logger: new MemoryLogger(),
    getIdToken: async () => token,
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x/?a=b', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' },
    retry: { sleep: async () => undefined },
    ...extra,
  };
}

beforeEach(() => sts.reset());

test('session names carry action and run id, legal characters only, at most 64 characters', () => {
  expect(sessionName('plan-region', '123')).toBe('coder-gitops-plan-region-123');
  const long = sessionName('apply-region', '9'.repeat(80));
  expect(long.length).toBe(64);
  expect(sessionName('a b/c', '1')).toBe('coder-gitops-a-b-c-1');
});

test('credentials are re-assumed with a fresh token before the session expires', async () => {
  let now = Date.now();
  const tokens: string[] = [];
  sts
    .on(AssumeRoleWithWebIdentityCommand)
    .resolvesOnce(creds(1, 60 * 60_000))
    .resolvesOnce(creds(2, 60 * 60_000));
  const provider = oidcCredentialProvider(
    options({
      now: () => now,
      getIdToken: async (aud) => {
        tokens.push(aud);
        return token;
      },
    }),
  );
  expect((await provider()).accessKeyId).toBe('ASIAKEY1XXXXXXXXX');
  now += 30 * 60_000;
  expect((await provider()).accessKeyId).toBe('ASIAKEY1XXXXXXXXX');
  now += 26 * 60_000; // 4 minutes before expiry: inside the refresh margin
  expect((await provider()).accessKeyId).toBe('ASIAKEY2XXXXXXXXX');
  expect(tokens).toEqual(['sts.amazonaws.com', 'sts.amazonaws.com']);
  const call = sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0]!.args[0].input;
  expect(call.RoleSessionName).toBe('coder-gitops-apply-region-77');
});

test('transient STS errors are retried, permanent ones are not', async () => {
  const idp = Object.assign(new Error("Couldn't retrieve verification key"), {
    name: 'IDPCommunicationError',
  });
  sts.on(AssumeRoleWithWebIdentityCommand).rejectsOnce(idp).resolves(creds(1, 3600_000));
  await expect(oidcCredentialProvider(options())()).resolves.toMatchObject({
    accessKeyId: 'ASIAKEY1XXXXXXXXX',
  });
  expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(2);

  sts.reset();
  const denied = Object.assign(new Error('Not authorized to perform sts:AssumeRoleWithWebIdentity'), {
    name: 'AccessDenied',
  });
  sts.on(AssumeRoleWithWebIdentityCommand).rejects(denied);
  const err = await oidcCredentialProvider(options())().catch((e: unknown) => e);
  expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(1);
  expect(err).toBeInstanceOf(CredentialsError);
  const msg = (err as Error).message;
  expect(msg).toContain(ROLE);
  expect(msg).toContain("sub claim is 'repo:coder/coderdemo-gitops:pull_request'");
  expect(msg).toContain('token.actions.githubusercontent.com:sub');
});

test('a fork pull request without a token says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ev-'));
  const ev = join(dir, 'event.json');
  writeFileSync(
    ev,
    JSON.stringify({
      pull_request: {
        head: { repo: { full_name: 'someone/fork', fork: true } },
        base: { repo: { full_name: 'coder/x' } },
      },
    }),
  );
  const err = await resolveCredentials(
    options({ env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: ev } }),
  ).catch((e: unknown) => e);
  expect(err).toMatchObject({ reason: 'fork-pull-request' });
  expect((err as Error).message).toContain('fork');
});

test('credentials of another account are refused before anything is touched', async () => {
  sts.on(AssumeRoleWithWebIdentityCommand).resolves(creds(1, 3600_000));
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/x' });
  await expect(resolveCredentials(options({ allowedAccountIds: ['210987654321'] }))).rejects.toThrow(
    'account 123456789012, which is not in allowed-account-ids (210987654321)',
  );
  await expect(resolveCredentials(options({ allowedAccountIds: ['123456789012'] }))).resolves.toMatchObject({
    via: 'oidc',
    account: '123456789012',
  });
});

test('secrets from STS are masked in the log', async () => {
  const logger = new MemoryLogger();
  sts.on(AssumeRoleWithWebIdentityCommand).resolves(creds(1, 3600_000));
  await oidcCredentialProvider(options({ logger }))();
  logger.info('leak? ASIAKEY1XXXXXXXXX secret-1-xxxxxxxx session-1-xxxxxxxx');
  expect(logger.text()).toBe('leak? *** *** ***');
});
