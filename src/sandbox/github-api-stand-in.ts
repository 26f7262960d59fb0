import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commentResource, issueResource, pullResource } from './github-resources.js';
import { defaultSettings, routeSettings, type StandInSettings } from './github-settings-routes.js';

/** Who wrote something, as the REST API shows it (`user`). */
export interface StandInUser {
  login: string;
  type: 'Bot' | 'User';
}

/** The identity of a workflow's GITHUB_TOKEN, and of any token the stand-in was not told about. */
export const STAND_IN_WORKFLOW_USER: StandInUser = { login: 'github-actions[bot]', type: 'Bot' };

export interface StandInComment {
  id: number;
  issue: number;
  body: string;
  user: StandInUser;
  created_at: string;
  updated_at: string;
}

export interface StandInIssue {
  number: number;
  title: string;
  body: string;
  user: StandInUser;
  state: 'open' | 'closed';
  labels: string[];
  created_at: string;
  closed_at: string | null;
  pull_request?: boolean;
}

export interface StandInFault {
  /** Which requests it applies to (`POST /repos/o/r/issues/1/comments`); default all. */
  match?: RegExp;
  status: number;
  headers?: Record<string, string>;
  message?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface GitHubApiStandIn {
  /** Base URL for Octokit / GITHUB_API_URL. */
  url: string;
  comments: StandInComment[];
  issues: StandInIssue[];
  /** sha → pull requests the commits API associates with it. */
  associatedPulls: Record<
    string,
    {
      number: number;
      state: string;
      merged_at: string | null;
      head: { sha: string };
      base: { ref: string };
    }[]
  >;
  /** Every request served: method, path and body text (to check nothing secret was sent). */
  requests: { method: string; path: string; body: string; authorization?: string }[];
  /** Every answer given, with its request (checked against GitHub's OpenAPI description in the tests). */
  exchanges: { method: string; path: string; requestBody: string; status: number; responseBody: string }[];
  /** Repository settings (`coder-gitops doctor`): OIDC subject template, environments, branch protection. */
  settings: StandInSettings;
  /** Answer writes with 403 "Resource not accessible by integration" (a fork's read-only token). */
  readOnly: boolean;
  /** Token → who it writes as (comments and issues record it as `user`); other tokens are the workflow's. */
  users: Record<string, StandInUser>;
  faults: StandInFault[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * A local stand-in for the part of the GitHub REST API the actions use: issue comments (sticky plan
 * comment), issues (incidents), and the commits API's associated pull requests. Faults can be queued.
 * Every comment and issue records its author from the request's token (`users`; the workflow's
 * github-actions[bot] otherwise), so tests can plant markers written by someone else.
 *
 * Not modelled: permissions per user (anyone may edit anything here; GitHub lets only the author, and
 * people with write access, edit a comment), GET /user, reactions, locking, and the search API.
 */
export async function startGitHubApiStandIn(): Promise<GitHubApiStandIn> {
  let nextId = 1000;
  const state: Omit<GitHubApiStandIn, 'url' | 'close'> = {
    comments: [],
    issues: [],
    associatedPulls: {},
    requests: [],
    exchanges: [],
    settings: defaultSettings(),
    readOnly: false,
    users: {},
    faults: [],
  };
  const userOf = (authorization: string | undefined): StandInUser => {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    return { ...((token && state.users[token]) || STAND_IN_WORKFLOW_USER) };
  };
  const now = () => new Date().toISOString();
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    state.requests.push({ method, path, body, authorization: req.headers.authorization });
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      const text = data === undefined ? '' : JSON.stringify(data);
      state.exchanges.push({ method, path, requestBody: body, status, responseBody: text });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    const key = `${method} ${path}`;
    const fault = state.faults.find((f) => !f.match || f.match.test(key));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) state.faults.splice(state.faults.indexOf(fault), 1);
      send(fault.status, { message: fault.message ?? `stand-in fault ${fault.status}` }, fault.headers);
      return;
    }
    if (method !== 'GET' && state.readOnly) {
      send(403, { message: 'Resource not accessible by integration' });
      return;
    }
    let payload: Record<string, unknown> = {};
    try {
      payload = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      send(400, { message: 'Problems parsing JSON' });
      return;
    }
    const page = Number(url.searchParams.get('page') ?? '1');
    const perPage = Number(url.searchParams.get('per_page') ?? '30');
    const paginate = <T>(items: T[]) => {
      const slice = items.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < items.length) {
        const next = new URL(url.toString());
        next.searchParams.set('page', String(page + 1));
        headers.link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
      }
      send(200, slice, headers);
    };
    let m: RegExpExecArray | null;
    const fullName = /^\/repos\/([^/]+\/[^/]+)\//.exec(path)?.[1] ?? 'owner/repo';
    const commentCount = (n: number) => state.comments.filter((c) => c.issue === n).length;
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(path))) {
      const issue = Number(m[1]);
      if (method === 'GET')
        return paginate(
          state.comments.filter((c) => c.issue === issue).map((c) => commentResource(fullName, c)),
        );
      if (method === 'POST') {
        const c: StandInComment = {
          id: nextId++,
          issue,
          body: String(payload.body ?? ''),
          user: userOf(req.headers.authorization),
          created_at: now(),
          updated_at: now(),
        };
        state.comments.push(c);
        return send(201, commentResource(fullName, c));
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path)) && method === 'PATCH') {
      const c = state.comments.find((x) => x.id === Number(m![1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = String(payload.body ?? c.body);
      c.updated_at = now();
      return send(200, commentResource(fullName, c));
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues$/.exec(path))) {
      if (method === 'GET') {
        const st = url.searchParams.get('state') ?? 'open';
        const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
        return paginate(
          state.issues
            .filter((i) => st === 'all' || i.state === st)
            .filter((i) => labels.every((l) => i.labels.includes(l)))
            .map((i) => issueResource(fullName, i, commentCount(i.number))),
        );
      }
      if (method === 'POST') {
        const issue: StandInIssue = {
          number: state.issues.length + 1,
          title: String(payload.title ?? ''),
          body: String(payload.body ?? ''),
          user: userOf(req.headers.authorization),
          state: 'open',
          labels: (payload.labels as string[] | undefined) ?? [],
          created_at: now(),
          closed_at: null,
        };
        state.issues.push(issue);
        return send(201, issueResource(fullName, issue, 0));
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/.exec(path))) {
      const issue = state.issues.find((i) => i.number === Number(m![1]));
      if (!issue) return send(404, { message: 'Not Found' });
      if (method === 'PATCH') {
        if (typeof payload.body === 'string') issue.body = payload.body;
        if (typeof payload.title === 'string') issue.title = payload.title;
        if (payload.state === 'closed' && issue.state === 'open') {
          issue.state = 'closed';
          issue.closed_at = now();
        } else if (payload.state === 'open') {
          issue.state = 'open';
          issue.closed_at = null;
        }
      }
      return send(200, issueResource(fullName, issue, commentCount(issue.number)));
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/pulls$/.exec(path)) && method === 'GET') {
      return send(
        200,
        (state.associatedPulls[m[1]!] ?? []).map((p) => pullResource(fullName, m![1]!, p)),
      );
    }
    if (routeSettings(state.settings, method, path, payload, send)) return;
    send(404, { message: `stand-in has no route for ${key}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const standIn = state as GitHubApiStandIn;
  standIn.url = `http://127.0.0.1:${port}`;
  standIn.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return standIn;
}
