import { readFileSync } from 'node:fs';

/** What the runner tells an action about the run (GITHUB_* variables and the event payload). */
export interface RunnerContext {
  eventName: string;
  sha: string;
  ref: string;
  repository: { owner: string; repo: string } | undefined;
  runId: string;
  runAttempt: string;
  serverUrl: string;
  apiUrl: string;
  workspace: string;
  tempDir: string;
  payload: Record<string, unknown>;
  pullRequest?: {
    number: number;
    headSha: string;
    baseSha: string;
    headRepo: string;
    baseRepo: string;
    fork: boolean;
  };
  push?: { before: string; after: string };
}

/** Read the runner's environment (never action inputs). */
export function readRunnerContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  let payload: Record<string, unknown> = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as Record<string, unknown>;
    } catch {
      payload = {};
    }
  }
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const pr = payload.pull_request as
    | {
        number?: number;
        head?: { sha?: string; repo?: { full_name?: string; fork?: boolean } };
        base?: { sha?: string; repo?: { full_name?: string } };
      }
    | undefined;
  const ctx: RunnerContext = {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    repository: owner && repo ? { owner, repo } : undefined,
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    tempDir: env.RUNNER_TEMP ?? process.env.TMPDIR ?? '/tmp',
    payload,
  };
  if (pr?.number) {
    const headRepo = pr.head?.repo?.full_name ?? '';
    const baseRepo = pr.base?.repo?.full_name ?? '';
    ctx.pullRequest = {
      number: pr.number,
      headSha: pr.head?.sha ?? ctx.sha,
      baseSha: pr.base?.sha ?? '',
      headRepo,
      baseRepo,
      fork: Boolean(pr.head?.repo?.fork) || (headRepo !== '' && baseRepo !== '' && headRepo !== baseRepo),
    };
  }
  if (typeof payload.before === 'string' && typeof payload.after === 'string') {
    ctx.push = { before: payload.before, after: payload.after };
  }
  return ctx;
}

/** Link to this run, for comments and reports. */
export function runUrl(ctx: RunnerContext): string | undefined {
  if (!ctx.repository || !ctx.runId) return undefined;
  return `${ctx.serverUrl}/${ctx.repository.owner}/${ctx.repository.repo}/actions/runs/${ctx.runId}`;
}
