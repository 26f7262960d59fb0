import * as core from '@actions/core';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { readFileSync } from 'node:fs';
import { USER_AGENT } from './client-factory.js';
import { errorCode, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { isTransientError, withRetry, type RetryOptions } from '../util/retry.js';

export const OIDC_AUDIENCE = 'sts.amazonaws.com';

/** Why no credentials could be had: each has its own clear message and the callers can tell them apart. */
export class CredentialsError extends Error {
  constructor(
    readonly reason:
      'no-id-token-permission' | 'fork-pull-request' | 'role-refused' | 'account-not-allowed' | 'sts-failed',
    message: string,
  ) {
    super(message);
    this.name = 'CredentialsError';
  }
}

export interface CredentialOptions {
  /** Role ARN to assume through GitHub OIDC; empty = the SDK's default chain. */
  roleToAssume?: string;
  /** Region whose STS endpoint is used (regional endpoint). */
  region: string;
  /** Action name + run id make the session name. */
  actionName: string;
  runId?: string;
  allowedAccountIds?: string[];
  /** Session duration asked of STS (default 3600 s). */
  durationSeconds?: number;
  /** Re-assume this long before expiry (default 5 min). */
  refreshBeforeMs?: number;
  logger: Logger;
  /** Defaults to `core.getIDToken`. */
  getIdToken?: (audience: string) => Promise<string>;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  retry?: Partial<RetryOptions>;
}

export interface ResolvedCredentials {
  /** undefined = default chain. */
  provider?: AwsCredentialIdentityProvider;
  via: 'oidc' | 'default-chain';
  account: string;
  arn: string;
}

/** `coder-gitops-<action>-<run id>`, legal characters only, at most 64 characters. */
export function sessionName(actionName: string, runId?: string): string {
  const raw = `coder-gitops-${actionName}${runId ? `-${runId}` : ''}`;
  return raw.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** The claims of a JWT, without verifying it (only to explain a refusal). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function isForkPullRequest(env: NodeJS.ProcessEnv): boolean {
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !/^pull_request/.test(env.GITHUB_EVENT_NAME ?? '')) return false;
  try {
    const ev = JSON.parse(readFileSync(path, 'utf8')) as {
      pull_request?: {
        head?: { repo?: { full_name?: string; fork?: boolean } };
        base?: { repo?: { full_name?: string } };
      };
    };
    const head = ev.pull_request?.head?.repo;
    const base = ev.pull_request?.base?.repo?.full_name;
    return Boolean(head && (head.fork || (base && head.full_name && head.full_name !== base)));
  } catch {
    return false;
  }
}

/**
 * The same request `core.getIDToken` makes, for use outside a runner (the CLI, the sandbox), where
 * core's `::debug::`/`::add-mask::` workflow commands would print the token to the terminal.
 */
async function fetchIdToken(url: string, requestToken: string, audience: string): Promise<string> {
  const res = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`the OIDC token endpoint answered ${res.status}`);
  const body = (await res.json()) as { value?: string };
  if (!body.value) throw new Error('the OIDC token endpoint answered without a token');
  return body.value;
}

/** Ask the runner for an OIDC token, turning its missing-variable error into what the user must fix. */
export async function requestIdToken(opts: CredentialOptions): Promise<string> {
  const env = opts.env ?? process.env;
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    if (isForkPullRequest(env)) {
      throw new CredentialsError(
        'fork-pull-request',
        'no GitHub OIDC token: this pull request comes from a fork, and GitHub gives forks no id-token; ' +
          'an offline plan (validation, template and Flux diffs) is all that can run here',
      );
    }
    throw new CredentialsError(
      'no-id-token-permission',
      `role-to-assume is set but the job cannot request a GitHub OIDC token: add 'permissions: id-token: write' to the job ` +
        `(ACTIONS_ID_TOKEN_REQUEST_URL is not set)`,
    );
  }
  const get =
    opts.getIdToken ??
    (env.GITHUB_ACTIONS === 'true'
      ? (aud: string) => core.getIDToken(aud)
      : (aud: string) =>
          fetchIdToken(env.ACTIONS_ID_TOKEN_REQUEST_URL!, env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!, aud));
  const token = await withRetry(() => get(OIDC_AUDIENCE), {
    label: 'GitHub OIDC token',
    attempts: 3,
    baseDelayMs: 300,
    ...opts.retry,
    retryable: () => true,
  });
  opts.logger.setSecret(token);
  return token;
}

function refusalMessage(role: string, token: string, err: unknown): string {
  const claims = decodeJwtClaims(token);
  const sub = typeof claims.sub === 'string' ? claims.sub : '(no sub claim)';
  const aud = typeof claims.aud === 'string' ? claims.aud : OIDC_AUDIENCE;
  return (
    `role ${role} refused the GitHub OIDC token (${errorCode(err) || 'AccessDenied'}: ${errorMessage(err)}). ` +
    `The token's sub claim is '${sub}' and its audience '${aud}': check that the role's trust policy allows ` +
    `token.actions.githubusercontent.com:sub to match '${sub}' (StringLike) and ` +
    `token.actions.githubusercontent.com:aud = '${OIDC_AUDIENCE}', with the GitHub OIDC provider as Federated principal`
  );
}

async function assumeOnce(opts: CredentialOptions, sts: STSClient): Promise<AwsCredentialIdentity> {
  const role = opts.roleToAssume!;
  const token = await requestIdToken(opts);
  const out = await withRetry(
    async () => {
      try {
        return await sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: role,
            RoleSessionName: sessionName(opts.actionName, opts.runId),
            WebIdentityToken: token,
            DurationSeconds: opts.durationSeconds ?? 3600,
          }),
        );
      } catch (err) {
        if (isTransientError(err)) throw err;
        const code = errorCode(err);
        if (code === 'AccessDenied' || code === 'InvalidIdentityToken' || code === 'ExpiredTokenException') {
          throw new CredentialsError('role-refused', refusalMessage(role, token, err));
        }
        throw new CredentialsError(
          'sts-failed',
          `could not assume ${role}: ${code ? `${code}: ` : ''}${errorMessage(err)}`,
        );
      }
    },
    {
      label: `AssumeRoleWithWebIdentity ${role}`,
      onRetry: ({ attempt, delayMs, error }) =>
        opts.logger.warn(`STS ${errorCode(error)} (attempt ${attempt}), retrying in ${delayMs} ms`),
      ...opts.retry,
    },
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new CredentialsError('sts-failed', `STS returned no credentials for ${role}`);
  }
  opts.logger.setSecret(c.AccessKeyId);
  opts.logger.setSecret(c.SecretAccessKey);
  opts.logger.setSecret(c.SessionToken);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
}

/**
 * A credential provider that assumes the role through GitHub OIDC and re-assumes it (with a fresh
 * token) before the session expires, so rollouts longer than the role's session keep working.
 */
export function oidcCredentialProvider(opts: CredentialOptions): AwsCredentialIdentityProvider {
  const sts = new STSClient({ region: opts.region, customUserAgent: USER_AGENT, maxAttempts: 1 });
  const now = opts.now ?? Date.now;
  const margin = opts.refreshBeforeMs ?? 5 * 60_000;
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    if (current && (!current.expiration || current.expiration.getTime() - margin > now())) return current;
    if (!pending) {
      const renewing = Boolean(current);
      pending = assumeOnce(opts, sts)
        .then((c) => {
          current = c;
          if (renewing) opts.logger.info(`re-assumed ${opts.roleToAssume} before its session expired`);
          return c;
        })
        .finally(() => {
          pending = undefined;
        });
    }
    return pending;
  };
}

/**
 * Credentials for every client: OIDC when a role is given, else the default chain; then checks the
 * account against `allowedAccountIds` with GetCallerIdentity.
 */
export async function resolveCredentials(opts: CredentialOptions): Promise<ResolvedCredentials> {
  const role = opts.roleToAssume?.trim();
  let provider: AwsCredentialIdentityProvider | undefined;
  if (role) {
    if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(role)) {
      throw new CredentialsError(
        'sts-failed',
        `role-to-assume '${role}' is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)`,
      );
    }
    provider = oidcCredentialProvider({ ...opts, roleToAssume: role });
    await provider();
  }
  const sts = new STSClient({ region: opts.region, credentials: provider, customUserAgent: USER_AGENT });
  const id = await withRetry(() => sts.send(new GetCallerIdentityCommand({})), {
    label: 'GetCallerIdentity',
    ...opts.retry,
  }).catch((err: unknown) => {
    if (err instanceof CredentialsError) throw err;
    throw new CredentialsError(
      'sts-failed',
      `could not confirm the AWS identity (GetCallerIdentity): ${errorMessage(err)}`,
    );
  });
  const account = id.Account ?? '';
  const allowed = (opts.allowedAccountIds ?? []).filter(Boolean);
  if (allowed.length && !allowed.includes(account)) {
    throw new CredentialsError(
      'account-not-allowed',
      `the credentials belong to AWS account ${account}, which is not in allowed-account-ids (${allowed.join(', ')}); nothing was touched`,
    );
  }
  if (role) opts.logger.info(`assumed ${role} through GitHub OIDC (account ${account})`);
  else opts.logger.info(`using the default AWS credential chain (${id.Arn ?? 'unknown identity'})`);
  return { provider, via: role ? 'oidc' : 'default-chain', account, arn: id.Arn ?? '' };
}
