import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitError, runGit } from '../git/git.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import { realSleep } from '../util/retry.js';
import { formatHistory, HISTORY_FILE, normalizeHistory } from './history-file.js';
import { parseHistoryLine, type HistoryLine } from './history-line.js';

export interface AppendHistoryOptions {
  /** The repository holding the history branch: a URL or a local path (a bare repository in tests). */
  remote: string;
  /** The dedicated branch, e.g. `status-history`; created (orphan) when missing. */
  branch: string;
  line: HistoryLine;
  /** An empty or missing scratch directory for the clone. */
  workDir: string;
  logger: Logger;
  /** Pushes tried before giving up (default 8). */
  attempts?: number;
  /** Prune relative to this time (default: now). */
  now?: () => Date;
  /** Extra environment for git (credentials through GIT_CONFIG_*, never on the command line). */
  env?: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called right before each push (tests make another writer move the branch here). */
  beforePush?: (attempt: number) => Promise<void>;
}

export interface AppendHistoryResult {
  /** The commit now at the tip of the branch, holding the line. */
  commit: string;
  /** Pushes tried (1 = the first was accepted). */
  attempts: number;
  /** How the rejected pushes were recovered: `rebase` (union merge) or `replay` (re-appended on the new tip). */
  recoveries: ('rebase' | 'replay')[];
  /** Lines in the file after the append (after pruning). */
  lines: number;
}

/** A push refused because the branch moved on (not an auth or network failure: those are not retried). */
const REJECTED_RE =
  /\[rejected\]|non-fast-forward|fetch first|\[remote rejected\].*(cannot lock|failed to update ref)|stale info/i;

/**
 * Append one run to the history branch and push it. A push rejected because another writer moved
 * the branch is recovered by fetching the new tip and rebasing our one commit onto it (the history
 * file merges with git's built-in `union` driver, set in `.git/info/attributes` so the branch's own
 * files decide nothing), then re-normalising the file; if the rebase cannot finish, our line is
 * replayed onto the new tip. Either way no writer's line is lost, and then the push is retried.
 */
export async function appendHistory(opts: AppendHistoryOptions): Promise<AppendHistoryResult> {
  const env = { ...process.env, ...opts.env, GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true' };
  const cwd = opts.workDir;
  const git = (...args: string[]): Promise<string> => runGit(cwd, args, { env });
  const attempts = opts.attempts ?? 8;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? (() => new Date());
  const ref = `refs/heads/${opts.branch}`;
  const tracking = `refs/remotes/origin/${opts.branch}`;
  const log = opts.logger;

  mkdirSync(cwd, { recursive: true });
  await git('init', '-q');
  await git('remote', 'add', 'origin', opts.remote);
  await git('config', 'user.name', 'coder-gitops synthetics');
  await git('config', 'user.email', 'coder-gitops-synthetics@users.noreply.github.com');
  await git('config', 'commit.gpgsign', 'false');
  writeFileSync(join(cwd, '.git', 'info', 'attributes'), `${HISTORY_FILE} merge=union\n`);

  /** The branch's tip on the remote after a shallow fetch, or undefined when the branch does not exist. */
  const fetchTip = async (): Promise<string | undefined> => {
    const heads = await git('ls-remote', '--heads', 'origin', ref);
    if (!heads) return undefined;
    await git('fetch', '-q', '--depth=1', 'origin', `+${ref}:${tracking}`);
    return git('rev-parse', tracking);
  };

  const file = join(cwd, HISTORY_FILE);
  /** Rewrite the file normalised (deduplicated, sorted, pruned), adding `extra` lines; returns the line count. */
  const writeNormalized = (extra: HistoryLine[]): number => {
    const existing: HistoryLine[] = [];
    if (existsSync(file)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((raw, i) => {
          if (!raw.trim()) return;
          try {
            existing.push(parseHistoryLine(raw, `${opts.branch}:${HISTORY_FILE}`, i + 1));
          } catch (err) {
            // One bad line must not stop every later run from being recorded: it is dropped, loudly.
            log.warn(`history: dropping an unreadable line: ${errorMessage(err)}`);
          }
        });
    }
    const lines = normalizeHistory([...existing, ...extra], now());
    writeFileSync(file, formatHistory(lines));
    return lines.length;
  };
  const commitLine = async (): Promise<number> => {
    const count = writeNormalized([opts.line]);
    await git('add', HISTORY_FILE);
    await git('commit', '-q', '-m', `history: ${opts.line.id} ${opts.line.status} at ${opts.line.at}`);
    return count;
  };
  /** Start from the remote tip (or an orphan branch) and commit our line on it. */
  const replayOn = async (tip: string | undefined): Promise<number> => {
    if (tip) await git('checkout', '-q', '-f', '-B', opts.branch, tip);
    // No branch yet (only ever on the first try, in the fresh clone): the first commit is a root.
    else await git('symbolic-ref', 'HEAD', ref);
    return commitLine();
  };

  let base = await fetchTip();
  let lines = await replayOn(base);
  const recoveries: AppendHistoryResult['recoveries'] = [];
  for (let attempt = 1; ; attempt++) {
    await opts.beforePush?.(attempt);
    try {
      await git('push', '-q', 'origin', `HEAD:${ref}`);
      const commit = await git('rev-parse', 'HEAD');
      log.info(
        `history: ${opts.line.id} appended to ${opts.branch} (${lines} runs kept) on push ${attempt}${recoveries.length ? ` after ${recoveries.join(', ')}` : ''}`,
      );
      return { commit, attempts: attempt, recoveries, lines };
    } catch (err) {
      if (!(err instanceof GitError) || !REJECTED_RE.test(err.stderr)) throw err;
      if (attempt >= attempts) {
        throw new Error(
          `history: ${opts.branch} kept moving; gave up after ${attempt} rejected pushes (the line for ${opts.line.id} was not recorded)`,
        );
      }
      log.info(`history: push ${attempt} rejected (${opts.branch} moved on); fetching and rebasing`);
    }
    // Jittered backoff, so writers that collided do not collide again in lockstep.
    await sleep(Math.floor(random() * Math.min(2000, 100 * 2 ** attempt)));
    const tip = await fetchTip();
    let recovered: 'rebase' | 'replay' = 'replay';
    if (tip && base) {
      try {
        await git('rebase', '-q', '--onto', tip, base);
        recovered = 'rebase';
      } catch (err) {
        log.info(
          `history: rebase onto ${tip.slice(0, 12)} did not apply (${errorMessage(err)}); replaying the line`,
        );
        await git('rebase', '--abort').catch(() => undefined);
      }
    }
    if (recovered === 'rebase') {
      // The union merge keeps every line of both sides; normalising drops what both pruned differently.
      lines = writeNormalized([opts.line]);
      if (await git('status', '--porcelain', '--', HISTORY_FILE)) {
        await git('add', HISTORY_FILE);
        await git('commit', '-q', '--amend', '--no-edit');
      }
    } else {
      lines = await replayOn(tip);
    }
    recoveries.push(recovered);
    base = tip;
  }
}
