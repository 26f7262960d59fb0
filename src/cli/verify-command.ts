import { loadGitops } from '../gitops/load-gitops.js';
import { renderVerifyText } from '../report/verify-text.js';
import { InputError } from '../util/errors.js';
import { parseHostPortInput, parseIntegerInput, parseListInput, parseRegionInput } from '../util/inputs.js';
import { CHECK_NAMES, type CheckName } from '../verify/check-result.js';
import { parseResolveOverrides } from '../verify/resolve-overrides.js';
import { runVerify } from '../verify/verify-engine.js';
import { parseCommandArgs, str } from './args.js';
import { awsFactory, COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const VERIFY_HELP = `coder-gitops verify [--region all|<names>] [--checks https,tls,routing,health,cold-start,versions]
    [--resolve host:port:address[:port]]... [--ca-file PEM] [--nameserver host[:port]] [--attempts 3]
    [--aws] [--role-to-assume ARN] [--gitops-dir gitops] [--json]
  Synthetic checks, as the verify-endpoints action runs them. --aws (or --role-to-assume) adds the
  AWS-side checks (Route 53 health, Aurora, TestDNSAnswer) with the default credential chain.`;

/** `coder-gitops verify`: exit 0 on pass or degraded, 1 on fail. */
export async function verifyCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('verify', argv, {
    ...COMMON_OPTIONS,
    region: { type: 'string', default: 'all' },
    checks: { type: 'string' },
    resolve: { type: 'string', multiple: true },
    'ca-file': { type: 'string' },
    nameserver: { type: 'string' },
    attempts: { type: 'string' },
    aws: { type: 'boolean', default: false },
  });
  if (values.help) return (process.stdout.write(`${VERIFY_HELP}\n`), 0);
  const settings = commonSettings(values);
  const config = await loadGitops(settings.gitopsDir);
  const selection = parseRegionInput('--region', str(values, 'region'), 'all');
  if (selection.kind === 'changed')
    throw new InputError('--region', "'changed' is not allowed here: use all or region names");
  const known = config.regions.map((r) => r.name);
  if (selection.kind === 'list') {
    const unknown = selection.regions.filter((r) => !known.includes(r));
    if (unknown.length)
      throw new InputError(
        '--region',
        `${unknown.join(', ')} not in ${config.dir}/regions (known: ${known.join(', ')})`,
      );
  }
  const checks = parseListInput(str(values, 'checks'));
  for (const c of checks) {
    if (!(CHECK_NAMES as readonly string[]).includes(c))
      throw new InputError('--checks', `'${c}' is not a check: use ${CHECK_NAMES.join(', ')}`);
  }
  const resolveLines = (values.resolve as unknown as string[] | undefined) ?? [];
  const aws =
    values.aws || settings.roleToAssume
      ? await awsFactory(settings, config.platform.hubRegion, 'verify')
      : undefined;
  const report = await runVerify({
    config,
    regions:
      selection.kind === 'list'
        ? selection.regions
        : config.regions.filter((r) => r.enabled).map((r) => r.name),
    checks: checks.length ? (checks as CheckName[]) : [...CHECK_NAMES],
    resolve: parseResolveOverrides(resolveLines.join('\n'), '--resolve'),
    caFile: str(values, 'ca-file') || undefined,
    nameserver: parseHostPortInput('--nameserver', str(values, 'nameserver'), 53),
    attempts: parseIntegerInput('--attempts', str(values, 'attempts'), 3, 1, 10),
    aws,
    logger: settings.logger,
  });
  emit(settings, report, renderVerifyText(report));
  return report.status === 'fail' ? 1 : 0;
}
