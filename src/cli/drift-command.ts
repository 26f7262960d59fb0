import { appendFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readRecordedRegions } from '../drift/apply-report-records.js';
import { syncDriftIncidents } from '../drift/drift-incidents.js';
import { DRIFT_CHECKS, runDrift, summarizeDrift, type DriftCheck } from '../drift/drift-engine.js';
import { loadGitops } from '../gitops/load-gitops.js';
import { selectRegions } from '../gitops/select-regions.js';
import { renderDriftText } from '../report/drift-text.js';
import { codeFence, escapeText } from '../report/markdown-escape.js';
import { writeReportFile } from '../report/write-report.js';
import { parseLoginInput } from '../github/trusted-author.js';
import { InputError } from '../util/errors.js';
import { parseListInput, parseRegionInput } from '../util/inputs.js';
import { parseCommandArgs, str } from './args.js';
import { awsFactory, COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const DRIFT_HELP = `coder-gitops drift [--region all|<names>] [--checks stacks,dns] [--apply-report FILE|DIR]...
    [--incident-issue] [--repository owner/name] [--marker-author github-actions[bot]] [--report-file PATH]
    [--role-to-assume ARN] [--allowed-account-ids IDS] [--gitops-dir gitops] [--json]
  What moved away from Git: CloudFormation drift detection on every stack of the enabled regions, and the
  Route 53 records apply-region owns compared with Git and the last apply report (--apply-report: the
  JSON report apply-region wrote, or a folder of them; the newest record per region wins). Resources
  CloudFormation does not check are listed as not checked. --incident-issue opens one issue per drifted
  stack or record set (GITHUB_TOKEN, GITHUB_API_URL) and closes it when a later run finds it in sync;
  only issues written by --marker-author (the token's login) count, as for the synthetics incidents.
  Exit 0 in sync, 1 drifted or an error.`;

function parseChecks(raw: string): DriftCheck[] {
  if (!raw.trim()) return [...DRIFT_CHECKS];
  const out: DriftCheck[] = [];
  for (const c of parseListInput(raw)) {
    if (!(DRIFT_CHECKS as readonly string[]).includes(c)) {
      throw new InputError('--checks', `'${c}' is not a drift check: use ${DRIFT_CHECKS.join(', ')}`);
    }
    out.push(c as DriftCheck);
  }
  return out;
}

/** Every JSON file a path names (itself, or the files under a folder, sorted). */
async function reportFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new InputError(
        '--apply-report',
        `${p} does not exist (give apply-region's JSON report or a folder of them)`,
      );
    }
    if (!info.isDirectory()) {
      out.push(p);
      continue;
    }
    const entries = await readdir(p, { recursive: true, withFileTypes: true });
    out.push(
      ...entries
        .filter((e) => e.isFile() && e.name.endsWith('.json'))
        .map((e) => join(e.parentPath, e.name))
        .sort(),
    );
  }
  return out;
}

/** `coder-gitops drift`: exit 0 in sync (or drift detection not available in an emulator), 1 drifted or failed. */
export async function driftCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('drift', argv, {
    ...COMMON_OPTIONS,
    region: { type: 'string', default: 'all' },
    checks: { type: 'string' },
    'apply-report': { type: 'string', multiple: true },
    'incident-issue': { type: 'boolean', default: false },
    repository: { type: 'string' },
    'marker-author': { type: 'string' },
    'report-file': { type: 'string' },
  });
  if (values.help) return (process.stdout.write(`${DRIFT_HELP}\n`), 0);
  const settings = commonSettings(values);
  const selection = parseRegionInput('--region', str(values, 'region'), 'all');
  if (selection.kind === 'changed')
    throw new InputError('--region', "'changed' is not allowed here: use all or region names");
  const checks = parseChecks(str(values, 'checks'));
  const author = parseLoginInput('--marker-author', str(values, 'marker-author'));
  const files = await reportFiles((values['apply-report'] as unknown as string[] | undefined) ?? []);
  const repository = str(values, 'repository') || process.env.GITHUB_REPOSITORY || '';
  if (values['incident-issue'] && !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new InputError(
      '--repository',
      'incident issues need the repository as owner/name (or GITHUB_REPOSITORY)',
    );
  }
  const config = await loadGitops(settings.gitopsDir);
  if (settings.hostedZoneId) config.platform.hostedZoneId = settings.hostedZoneId;
  const { regions } = await selectRegions(config, selection, { input: '--region', repoDir: process.cwd() });
  const recorded = await readRecordedRegions(files);
  const aws = await awsFactory(settings, config.platform.hubRegion, 'drift');
  const report = await runDrift({
    config,
    regions,
    checks,
    aws,
    recorded,
    endpointUrl: process.env.AWS_ENDPOINT_URL || undefined,
    logger: settings.logger,
  });
  let incidents;
  if (values['incident-issue']) {
    const [owner = '', repo = ''] = repository.split('/');
    incidents = await syncDriftIncidents({
      report,
      repo: { owner, repo },
      token: process.env.GITHUB_TOKEN,
      apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
      now: new Date(),
      author,
    });
    settings.logger.info(
      `drift issues: opened ${incidents.opened.length}, updated ${incidents.updated.length}, closed ${incidents.closed.length}`,
    );
  }
  const out = { ...report, ...(incidents ? { incidents } : {}) };
  const reportFile = str(values, 'report-file');
  if (reportFile) writeReportFile(dirname(reportFile), basename(reportFile), out);
  const text = renderDriftText(report);
  // In a workflow the same report becomes the job summary.
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    await appendFile(
      summary,
      `## coder-gitops drift\n\n${escapeText(summarizeDrift(report))}\n\n${codeFence(text, 'text')}\n`,
    );
  }
  emit(settings, out, text);
  return report.status === 'in-sync' ? 0 : 1;
}
