import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory } from '../status/history-push.js';
import { historyLineFromReport, type IncidentIssues } from '../status/history-line.js';
import { ConfigurationError, errorMessage, InputError } from '../util/errors.js';
import { ConsoleLogger } from '../util/logger.js';
import type { VerifyReport } from '../verify/verify-engine.js';
import { parseCommandArgs, str } from './args.js';

export const HISTORY_APPEND_HELP = `coder-gitops history-append --report verify-report.json --run-id ID
    [--remote URL|PATH] [--branch status-history]
  Append one synthetics run (the verify-endpoints report) as one JSON line to runs.jsonl on the
  history branch and push it; a push rejected because the branch moved is fetched, rebased and
  retried. --remote defaults to $GITHUB_SERVER_URL/$GITHUB_REPOSITORY; with $GITHUB_TOKEN set, git
  authenticates with it through its environment (never on a command line).`;

/** The verify report as the action writes it (report + the incident sync's issue numbers). */
function readReport(file: string): { report: VerifyReport; issues: IncidentIssues } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`cannot read the verify report: ${errorMessage(err)}`, { file });
  }
  const r = raw as Partial<VerifyReport> & { incidents?: { issues?: IncidentIssues } };
  if (!Array.isArray(r.results))
    throw new ConfigurationError('no results list: not a verify report', { file, path: 'results' });
  if (typeof r.startedAt !== 'string' || Number.isNaN(Date.parse(r.startedAt)))
    throw new ConfigurationError('startedAt must be an ISO 8601 time', { file, path: 'startedAt' });
  if (!['pass', 'degraded', 'fail'].includes(String(r.status)))
    throw new ConfigurationError('status must be pass, degraded or fail', { file, path: 'status' });
  return { report: r as VerifyReport, issues: r.incidents?.issues ?? {} };
}

/** Git's environment for an HTTPS remote on the GitHub server: the token as an extra header. */
export function gitAuthEnv(remote: string, token: string | undefined, serverUrl: string): NodeJS.ProcessEnv {
  if (!token || !remote.startsWith(`${serverUrl.replace(/\/$/, '')}/`)) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${serverUrl.replace(/\/$/, '')}/.extraheader`,
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
  };
}

/** `coder-gitops history-append`: exit 0 once the line is on the branch. */
export async function historyAppendCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('history-append', argv, {
    report: { type: 'string' },
    'run-id': { type: 'string' },
    remote: { type: 'string' },
    branch: { type: 'string', default: 'status-history' },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return (process.stdout.write(`${HISTORY_APPEND_HELP}\n`), 0);
  const reportFile = str(values, 'report');
  if (!reportFile) throw new InputError('report', 'the verify report to record is required (--report FILE)');
  const runId = str(values, 'run-id');
  if (!/^[\w.-]{1,80}$/.test(runId))
    throw new InputError('run-id', `'${runId}' is not a run id (letters, digits, . _ -)`);
  const branch = str(values, 'branch');
  if (!/^[\w./-]{1,100}$/.test(branch) || branch.includes('..') || branch.startsWith('-'))
    throw new InputError('branch', `'${branch}' is not a branch name`);
  const serverUrl = process.env.GITHUB_SERVER_URL || 'https://github.com';
  const remote =
    str(values, 'remote') ||
    (process.env.GITHUB_REPOSITORY ? `${serverUrl}/${process.env.GITHUB_REPOSITORY}.git` : '');
  if (!remote) throw new InputError('remote', 'no --remote and no GITHUB_REPOSITORY to derive it from');
  const logger = new ConsoleLogger({ verbose: values.verbose === true });
  const token = process.env.GITHUB_TOKEN;
  if (token) logger.setSecret(token);
  const { report, issues } = readReport(reportFile);
  const line = historyLineFromReport(report, runId, issues);
  const workDir = await mkdtemp(join(tmpdir(), 'coder-gitops-history-'));
  try {
    const result = await appendHistory({
      remote,
      branch,
      line,
      workDir: join(workDir, 'clone'),
      env: gitAuthEnv(remote, token, serverUrl),
      logger,
    });
    process.stdout.write(
      `history: run ${runId} (${line.status}) on ${branch} at ${result.commit.slice(0, 12)}, ${result.lines} runs kept, ${result.attempts} push${result.attempts === 1 ? '' : 'es'}\n`,
    );
    return 0;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
