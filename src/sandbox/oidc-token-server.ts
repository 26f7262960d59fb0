import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcTokenRequest {
  audience: string | null;
  authorized: boolean;
  /** The `sub` claim of the token served (none when unauthorized). */
  subject?: string;
}

export interface OidcTokenServer {
  /** Value for ACTIONS_ID_TOKEN_REQUEST_URL (already carries a query string, as GitHub's does). */
  requestUrl: string;
  /** Value for ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestToken: string;
  /** Every token request served, in order. */
  requests: OidcTokenRequest[];
  /** The `sub` of the tokens served from now on (a job of another trigger asks for its token). */
  subject: string;
  close(): Promise<void>;
}

export interface OidcTokenServerOptions {
  /** The token's `sub` claim, e.g. `repo:owner/name:ref:refs/heads/main`. */
  subject: string;
  repository?: string;
}

/**
 * Stands in for the runner's OIDC token endpoint (what `core.getIDToken` calls): answers with an
 * unsigned JWT carrying the requested audience, and records each request so tests can assert it.
 */
export async function startOidcTokenServer(opts: OidcTokenServerOptions): Promise<OidcTokenServer> {
  const requestToken = `oidc-request-${Math.random().toString(36).slice(2)}`;
  const requests: OidcTokenRequest[] = [];
  const state = { subject: opts.subject };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const authorized = req.headers.authorization === `Bearer ${requestToken}`;
    const audience = url.searchParams.get('audience');
    requests.push({ audience, authorized, ...(authorized ? { subject: state.subject } : {}) });
    if (!authorized) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"bad request token"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = [
      b64({ alg: 'RS256', typ: 'JWT', kid: 'stand-in' }),
      b64({
        iss: 'https://token.actions.githubusercontent.com',
        aud: audience ?? 'https://github.com',
        sub: state.subject,
        repository: opts.repository,
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: Math.random().toString(36).slice(2),
      }),
      Buffer.from('stand-in-signature').toString('base64url'),
    ].join('.');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: jwt }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    requestUrl: `http://127.0.0.1:${port}/token?api-version=2.0`,
    requestToken,
    requests,
    get subject() {
      return state.subject;
    },
    set subject(value: string) {
      state.subject = value;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
