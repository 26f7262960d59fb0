import { tmpdir } from 'node:os';
import { CredentialsError } from '../aws/oidc-credentials.js';
import { runPlan } from '../plan/plan-engine.js';
import { preparePlanBase, type PlanBase } from '../plan/prepare-base.js';
import { renderPlanMarkdown, renderPlanText, SUMMARY_BUDGET } from '../report/plan-markdown.js';
import { writeReportFile } from '../report/write-report.js';
import { errorMessage } from '../util/errors.js';
import { parseRegionInput } from '../util/inputs.js';
import { parseCommandArgs, str } from './args.js';
import { awsFactory, COMMON_OPTIONS, commonSettings, emit } from './common.js';
import { gitHead, gitRoot } from '../git/git.js';
import { dirname } from 'node:path';

export const PLAN_HELP = `coder-gitops plan [--region all|changed|<names>] [--base-ref REF] [--offline]
    [--markdown-file FILE] [--role-to-assume ARN] [--allowed-account-ids IDS] [--gitops-dir gitops] [--json]
  What would change, per region and layer, as the plan-region action computes it. Online (change sets)
  with AWS credentials, offline (validation, template and Flux diffs) with --offline or without any.
  --region changed compares with --base-ref (default HEAD^).`;

/** `coder-gitops plan`: exit 0 with a plan, 1 when the configuration is invalid. */
export async function planCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('plan', argv, {
    ...COMMON_OPTIONS,
    region: { type: 'string', default: 'all' },
    'base-ref': { type: 'string' },
    offline: { type: 'boolean', default: false },
    'markdown-file': { type: 'string' },
    'head-sha': { type: 'string' },
  });
  if (values.help) return (process.stdout.write(`${PLAN_HELP}\n`), 0);
  const settings = commonSettings(values);
  const selection = parseRegionInput('--region', str(values, 'region'), 'all');
  const repoDir = await gitRoot(dirname(settings.gitopsDir));
  const headSha = str(values, 'head-sha') || (await gitHead(repoDir)) || 'local';
  const baseRef = str(values, 'base-ref') || 'HEAD^';
  let base: PlanBase | undefined;
  try {
    base = await preparePlanBase({
      repoDir,
      gitopsDir: settings.gitopsDir,
      baseRef,
      headRef: 'HEAD',
      tmpDir: tmpdir(),
    });
  } catch (err) {
    if (selection.kind === 'changed') throw err;
    settings.logger.warn(`no base to compare with (${errorMessage(err)}): everything shows as new`);
  }
  let aws;
  let offlineReason: string | undefined = values.offline ? 'asked for with --offline' : undefined;
  if (!offlineReason) {
    try {
      const { loadGitops } = await import('../gitops/load-gitops.js');
      const config = await loadGitops(settings.gitopsDir).catch(() => undefined);
      aws = await awsFactory(settings, config?.platform.hubRegion ?? 'us-east-1', 'plan');
    } catch (err) {
      if (settings.roleToAssume || (err instanceof CredentialsError && err.reason === 'account-not-allowed'))
        throw err;
      offlineReason = `no AWS credentials (${errorMessage(err)})`;
      settings.logger.warn(`offline plan: ${offlineReason}`);
    }
  }
  const report = await runPlan({
    gitopsDir: settings.gitopsDir,
    baseDir: base?.baseDir,
    regions: selection.kind === 'list' ? selection.regions : selection.kind,
    changedFiles: base?.changedFiles,
    gitopsPath: base?.gitopsPath,
    headSha,
    baseRef,
    aws,
    offlineReason,
    hostedZoneId: settings.hostedZoneId,
    logger: settings.logger,
  });
  const md = str(values, 'markdown-file');
  if (md) {
    const { markdown } = renderPlanMarkdown(report, {
      budget: SUMMARY_BUDGET,
      marker: '<!-- coder-gitops:plan -->',
    });
    writeReportFile(dirname(md), md.split('/').pop()!, markdown);
  }
  emit(settings, report, renderPlanText(report));
  return report.errors.length ? 1 : 0;
}
