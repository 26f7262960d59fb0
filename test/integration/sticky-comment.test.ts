import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { upsertStickyComment } from '../../src/github/sticky-comment.js';
import { MemoryLogger } from '../../src/util/logger.js';

const MARKER = '<!-- coder-gitops:plan -->';

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
}

/** A tiny stand-in for the GitHub issues-comments API, with scripted failures. */
class FakeGitHub {
  comments: Comment[] = [];
  requests: string[] = [];
  /** Responses to return before the real one, by "METHOD path-prefix". */
  failures: { match: string; status: number; body: unknown; headers?: Record<string, string> }[] = [];
  private nextId = 1000;
  server: Server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  seed(n: number, who = 'someone'): void {
    for (let i = 0; i < n; i++) this.add(`comment ${i}`, who, 'User');
  }
  add(body: string, login = 'github-actions[bot]', type = 'Bot'): Comment {
    const id = this.nextId++;
    const c = {
      id,
      body,
      user: { login, type },
      html_url: `https://github.test/o/r/pull/7#issuecomment-${id}`,
    };
    this.comments.push(c);
    return c;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const key = `${req.method} ${url.pathname}`;
    this.requests.push(`${key}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = this.failures.findIndex((f) => key.startsWith(f.match));
    if (fail >= 0) {
      const f = this.failures.splice(fail, 1)[0]!;
      return send(f.status, f.body, f.headers);
    }
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString()) as { body: string })
      : undefined;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && /^\/repos\/o\/r\/issues\/7\/comments$/.test(url.pathname)) {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = this.comments.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < this.comments.length) {
        headers.link = `<${`http://${req.headers.host}${url.pathname}?per_page=${perPage}&page=${page + 1}`}>; rel="next"`;
      }
      return send(200, slice, headers);
    }
    if (req.method === 'POST' && url.pathname === '/repos/o/r/issues/7/comments') {
      return send(201, this.add(body!.body));
    }
    if (req.method === 'PATCH' && (m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname))) {
      const c = this.comments.find((x) => x.id === Number(m![1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = body!.body;
      return send(200, c);
    }
    send(404, { message: `Not Found: ${key}` });
  }
}

describe('upsertStickyComment against a local GitHub stand-in', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;
  const slept: number[] = [];
  const opts = (body: string) => ({
    owner: 'o',
    repo: 'r',
    issueNumber: 7,
    marker: MARKER,
    body,
    logger: new MemoryLogger(),
    sleep: async (ms: number) => {
      slept.push(ms);
    },
  });

  beforeEach(async () => {
    gh = new FakeGitHub();
    octokit = new Octokit({ baseUrl: await gh.start(), auth: 'test-token' });
    slept.length = 0;
  });
  afterEach(() => gh.stop());

  it('creates the comment, then edits the same one on the next push, across pages of other comments', async () => {
    gh.seed(150);
    const first = await upsertStickyComment(octokit, opts('## Plan one'));
    expect(first.action).toBe('created');
    expect(gh.comments.filter((c) => c.body.includes(MARKER))).toHaveLength(1);
    expect(gh.comments.at(-1)!.body).toBe(`${MARKER}\n## Plan one`);

    const second = await upsertStickyComment(octokit, opts(`${MARKER}\n## Plan two`));
    expect(second).toEqual({ action: 'updated', url: first.url });
    expect(gh.comments.filter((c) => c.body.includes(MARKER)).map((c) => c.body)).toEqual([
      `${MARKER}\n## Plan two`,
    ]);
    expect(gh.requests.filter((r) => r.startsWith('GET')).length).toBeGreaterThanOrEqual(4); // 2 pages × 2 runs

    const third = await upsertStickyComment(octokit, opts(`${MARKER}\n## Plan two`));
    expect(third.action).toBe('unchanged');
    expect(gh.requests.filter((r) => r.startsWith('PATCH'))).toHaveLength(1);
  });

  it('edits the bot comment, not a person who pasted the marker', async () => {
    gh.add(`${MARKER} quoted by a person`, 'alice', 'User');
    const bot = gh.add(`${MARKER}\nold plan`);
    await upsertStickyComment(octokit, opts('new plan'));
    expect(gh.comments.find((c) => c.id === bot.id)!.body).toBe(`${MARKER}\nnew plan`);
    expect(gh.comments[0]!.body).toBe(`${MARKER} quoted by a person`);
  });

  it("reports 'refused' for a fork's read-only token, without throwing", async () => {
    gh.failures.push({
      match: 'POST /repos/o/r/issues/7/comments',
      status: 403,
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const logger = new MemoryLogger();
    const out = await upsertStickyComment(octokit, { ...opts('plan'), logger });
    expect(out.action).toBe('refused');
    expect(out.reason).toMatch(/Resource not accessible by integration.*fork/);
    expect(logger.text()).toMatch(/plan comment not posted.*job summary/);
    expect(gh.comments).toHaveLength(0);
  });

  it('retries a 502 and then succeeds', async () => {
    gh.failures.push({
      match: 'GET /repos/o/r/issues/7/comments',
      status: 502,
      body: { message: 'Bad Gateway' },
    });
    const out = await upsertStickyComment(octokit, opts('plan'));
    expect(out.action).toBe('created');
    expect(slept).toHaveLength(1);
  });

  it('waits as long as a secondary rate limit asks (Retry-After)', async () => {
    gh.failures.push({
      match: 'POST /repos/o/r/issues/7/comments',
      status: 403,
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
      headers: { 'retry-after': '7' },
    });
    const out = await upsertStickyComment(octokit, opts('plan'));
    expect(out.action).toBe('created');
    expect(slept).toEqual([7000]);
  });

  it('gives up after the attempts on a persistent 5xx, saying what it was doing', async () => {
    for (let i = 0; i < 4; i++)
      gh.failures.push({ match: 'GET', status: 503, body: { message: 'Service Unavailable' } });
    await expect(upsertStickyComment(octokit, opts('plan'))).rejects.toThrow(
      /could not write the plan comment on o\/r#7: .*Service Unavailable/,
    );
    expect(slept).toHaveLength(3);
  });
});
