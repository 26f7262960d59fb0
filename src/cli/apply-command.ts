import { dirname } from 'node:path';
import { clusterStepFor } from '../apply/cluster-step.js';
import { coderStepFor } from '../apply/coder-region-step.js';
import { runApply } from '../apply/apply-engine.js';
import { selectRegions } from '../gitops/select-regions.js';
import { loadValidatedGitops } from '../gitops/validate-gitops.js';
import { renderApplyTerminal } from '../report/apply-markdown.js';
import { parseEnumInput, parseIntegerInput, parseRegionInput } from '../util/inputs.js';
import { parseOptionalNameserver } from '../verify/verify-inputs.js';
import { parseResolveOverrides } from '../verify/resolve-overrides.js';
import { parseCommandArgs, str } from './args.js';
import { awsFactory, COMMON_OPTIONS, commonSettings, emit } from './common.js';
import { gitHead, gitRoot } from '../git/git.js';
import { checkMainTip, reviewedHeadOf } from './git-head.js';
import { InputError } from '../util/errors.js';

export const APPLY_HELP = `coder-gitops apply [--region all|changed|<names>] [--dry-run] [--dns promote|hold|remove]
    [--cluster eks|kubeconfig|skip] [--allow-destructive] [--timeout-minutes 60] [--flux-cli flux]
    [--resolve host:port:address[:port]]... [--ca-file PEM] [--nameserver host[:port]]
    [--role-to-assume ARN] [--allowed-account-ids IDS] [--gitops-dir gitops] [--json]
coder-gitops apply --account    apply the account-level stacks (github-oidc) with administrator credentials
  Applies regions in waves as the apply-region action does. --region changed compares with --base-ref.
  Every stack runs a change set apply creates itself from this checkout, compared with the reviewed one.
  --account refuses unless the checkout is the tip of main: the gitops folder has no uncommitted
  changes, and HEAD equals origin/<platform.yaml github.branch> fetched just before. Its reference is the
  plan on the merged branch's head (HEAD's second parent) when HEAD is a merge commit, else on HEAD.`;

/** `coder-gitops apply`: exit 0 when applied (or nothing to do), 1 when anything failed. */
export async function applyCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('apply', argv, {
    ...COMMON_OPTIONS,
    region: { type: 'string', default: 'all' },
    'base-ref': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    dns: { type: 'string', default: 'promote' },
    cluster: { type: 'string', default: 'eks' },
    'allow-destructive': { type: 'boolean', default: false },
    'timeout-minutes': { type: 'string' },
    'flux-cli': { type: 'string' },
    resolve: { type: 'string', multiple: true },
    'ca-file': { type: 'string' },
    nameserver: { type: 'string' },
    account: { type: 'boolean', default: false },
    'head-sha': { type: 'string' },
  });
  if (values.help) return (process.stdout.write(`${APPLY_HELP}\n`), 0);
  const settings = commonSettings(values);
  // Every option is checked before anything is read or touched.
  const cluster = parseEnumInput(
    '--cluster',
    str(values, 'cluster'),
    ['eks', 'kubeconfig', 'skip'] as const,
    'eks',
  );
  const dns = parseEnumInput('--dns', str(values, 'dns'), ['promote', 'hold', 'remove'] as const, 'promote');
  const selection = parseRegionInput('--region', str(values, 'region'), 'all');
  const timeoutMinutes = parseIntegerInput('--timeout-minutes', str(values, 'timeout-minutes'), 60, 1, 360);
  const verify = {
    caFile: str(values, 'ca-file') || undefined,
    resolve: parseResolveOverrides(
      ((values.resolve as unknown as string[] | undefined) ?? []).join('\n'),
      '--resolve',
    ),
    nameserver: parseOptionalNameserver(str(values, 'nameserver'), '--nameserver'),
  };
  const config = await loadValidatedGitops(settings.gitopsDir);
  if (settings.hostedZoneId) config.platform.hostedZoneId = settings.hostedZoneId;
  const repoDir = await gitRoot(dirname(settings.gitopsDir));
  let accountHead: string | undefined;
  let reviewed: { headSha: string } | undefined;
  if (values.account) {
    const tip = await checkMainTip(repoDir, config.platform.github.branch, settings.gitopsDir);
    if (!tip.ok) throw new InputError('--account', `refusing to apply the account stacks: ${tip.reason}`);
    settings.logger.info(`account stacks from ${tip.sha.slice(0, 12)}: ${tip.how}`);
    accountHead = tip.sha;
    const ref = await reviewedHeadOf(repoDir, tip.sha);
    settings.logger.info(`reviewed change sets compared with: ${ref.how}`);
    reviewed = { headSha: ref.sha };
  }
  const choice = values.account
    ? { regions: [], why: 'account-level stacks only' }
    : await selectRegions(config, selection, {
        input: '--region',
        repoDir,
        base: str(values, 'base-ref') || undefined,
      });
  settings.logger.info(`regions: ${choice.regions.join(', ') || 'none'} (${choice.why})`);
  const aws = await awsFactory(settings, config.platform.hubRegion, 'apply');
  const report = await runApply({
    config,
    gitopsDir: config.dir,
    regions: choice.regions,
    headSha: accountHead ?? (str(values, 'head-sha') || (await gitHead(repoDir)) || 'local'),
    reviewed,
    dryRun: values['dry-run'] === true,
    dns,
    cluster,
    allowDestructive: values['allow-destructive'] === true,
    timeoutMinutes,
    account: values.account === true,
    verify,
    aws,
    logger: settings.logger,
    clusterStep: clusterStepFor(cluster, {
      fluxCli: str(values, 'flux-cli') || 'flux',
      kubeconfig: process.env.KUBECONFIG,
    }),
    // The Coder API side exists only where the cluster side runs (`--cluster skip` skips both).
    coderStep:
      cluster === 'skip' ? undefined : coderStepFor({ caFile: verify.caFile, resolve: verify.resolve }),
    // The Coder version per region, primary first (src/apply/coder-upgrade.ts); runs only with the cluster step.
    coderUpgrade: { caFile: verify.caFile, resolve: verify.resolve },
  });
  emit(settings, report, renderApplyTerminal(report));
  return report.status === 'failed' ? 1 : 0;
}
