import type { Octokit } from '@octokit/rest';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { realSleep, withRetry } from '../util/retry.js';
import { GITHUB_ACTIONS_LOGIN, isWrittenBy } from './trusted-author.js';

export interface StickyCommentOptions {
  owner: string;
  repo: string;
  issueNumber: number;
  /** Hidden HTML comment that identifies the comment, e.g. `<!-- coder-gitops:plan -->`. */
  marker: string;
  /** The comment body; the marker is prepended when missing. */
  body: string;
  /** Login of the token's identity: only its comments with the marker are ours (default github-actions[bot]). */
  author?: string;
  logger: Logger;
  /** Attempts per API call for 5xx and rate limits (default 4). */
  attempts?: number;
  /** Injected wait, for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface StickyCommentResult {
  action: 'created' | 'updated' | 'unchanged' | 'refused';
  url?: string;
  /** Why the comment was refused (a fork's read-only token). */
  reason?: string;
}

interface HttpError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/**
 * Creates or edits in place the one pull-request comment carrying `marker` written by `author`; a
 * comment with the marker by anyone else is left alone. A read-only token (a
 * fork's pull request) gives `refused` instead of an error, so the caller can fall back to the
 * job summary without failing the step.
 */
export async function upsertStickyComment(
  octokit: Octokit,
  opts: StickyCommentOptions,
): Promise<StickyCommentResult> {
  const { owner, repo, issueNumber, marker, logger } = opts;
  if (!/^<!--[\s\S]*-->$/.test(marker))
    throw new Error(`sticky comment marker must be a hidden HTML comment, got '${marker}'`);
  const body = opts.body.includes(marker) ? opts.body : `${marker}\n${opts.body}`;
  const call = <T>(label: string, fn: () => Promise<T>) => callWithRetry(label, fn, opts);

  try {
    const comments = await call(`list comments of #${issueNumber}`, () =>
      octokit.paginate(octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: issueNumber,
        per_page: 100,
      }),
    );
    // Marker and author: anyone can paste the marker into a comment, only the token's identity can be its author.
    const author = opts.author ?? GITHUB_ACTIONS_LOGIN;
    const existing = comments.find((c) => (c.body ?? '').includes(marker) && isWrittenBy(c, author));
    if (existing) {
      if (existing.body === body) {
        logger.info(`plan comment unchanged: ${existing.html_url}`);
        return { action: 'unchanged', url: existing.html_url };
      }
      const { data } = await call(`update comment ${existing.id}`, () =>
        octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body }),
      );
      logger.info(`plan comment updated: ${data.html_url}`);
      return { action: 'updated', url: data.html_url };
    }
    const { data } = await call(`comment on #${issueNumber}`, () =>
      octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
    );
    logger.info(`plan comment created: ${data.html_url}`);
    return { action: 'created', url: data.html_url };
  } catch (err) {
    if (isReadOnlyToken(err)) {
      const reason = `the token cannot write pull request comments (${errorMessage(err).split(' - ')[0]}); a pull request from a fork gets a read-only token`;
      logger.warn(`plan comment not posted: ${reason}. The plan is in the job summary.`);
      return { action: 'refused', reason };
    }
    throw new Error(
      `could not write the plan comment on ${owner}/${repo}#${issueNumber}: ${errorMessage(err)}`,
    );
  }
}

function isReadOnlyToken(err: unknown): boolean {
  const e = err as HttpError;
  return (
    e?.status === 403 &&
    /not accessible by integration|write access|permission/i.test(e.message ?? '') &&
    !isRateLimit(e)
  );
}

function isRateLimit(e: HttpError): boolean {
  const h = e.response?.headers ?? {};
  if (e.status === 429) return true;
  if (e.status !== 403) return false;
  return (
    /rate limit/i.test(e.message ?? '') ||
    h['retry-after'] !== undefined ||
    String(h['x-ratelimit-remaining']) === '0'
  );
}

/** Milliseconds GitHub asks us to wait (Retry-After, or the primary limit's reset time), capped. */
function retryAfterMs(e: HttpError): number | undefined {
  const h = e.response?.headers ?? {};
  const ra = h['retry-after'];
  if (ra !== undefined && Number.isFinite(Number(ra))) return Math.min(Number(ra) * 1000, 120_000);
  const reset = h['x-ratelimit-reset'];
  if (String(h['x-ratelimit-remaining']) === '0' && reset !== undefined) {
    return Math.min(Math.max(0, Number(reset) * 1000 - Date.now()), 120_000);
  }
  return undefined;
}

async function callWithRetry<T>(label: string, fn: () => Promise<T>, opts: StickyCommentOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  let asked: number | undefined;
  return withRetry(fn, {
    label,
    attempts: opts.attempts ?? 4,
    baseDelayMs: 1000,
    retryable: (err) => {
      const e = err as HttpError;
      const retry = (typeof e?.status === 'number' && e.status >= 500) || isRateLimit(e);
      asked = retry ? retryAfterMs(e) : undefined;
      return retry && !isReadOnlyToken(err);
    },
    onRetry: ({ attempt, delayMs, error }) =>
      opts.logger.warn(
        `${label}: ${errorMessage(error)}; retry ${attempt} in ${Math.round((asked ?? delayMs) / 1000)} s`,
      ),
    sleep: (ms) => sleep(asked ?? ms),
  });
}
