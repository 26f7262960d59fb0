import { loadGitops } from '../gitops/load-gitops.js';
import { renderVerifyText } from '../report/verify-text.js';
import { parseIntegerInput, parseRegionInput } from '../util/inputs.js';
import { parseCheckNames, parseOptionalNameserver, verifyRegionNames } from '../verify/verify-inputs.js';
import { parseResolveOverrides } from '../verify/resolve-overrides.js';
import { runVerify } from '../verify/verify-engine.js';
import { parseCommandArgs, str } from './args.js';
import { awsFactory, COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const VERIFY_HELP = `coder-gitops verify [--region all|<names>] [--checks https,tls,routing,health,cold-start,versions,coder]
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
  // Every option is checked before anything is read or probed.
  const selection = parseRegionInput('--region', str(values, 'region'), 'all');
  const checks = parseCheckNames(str(values, 'checks'), '--checks');
  const resolve = parseResolveOverrides(
    ((values.resolve as unknown as string[] | undefined) ?? []).join('\n'),
    '--resolve',
  );
  const nameserver = parseOptionalNameserver(str(values, 'nameserver'), '--nameserver');
  const attempts = parseIntegerInput('--attempts', str(values, 'attempts'), 3, 1, 10);
  const config = await loadGitops(settings.gitopsDir);
  if (settings.hostedZoneId) config.platform.hostedZoneId = settings.hostedZoneId;
  const regions = verifyRegionNames(config, selection, '--region');
  const aws =
    values.aws || settings.roleToAssume
      ? await awsFactory(settings, config.platform.hubRegion, 'verify')
      : undefined;
  const report = await runVerify({
    config,
    regions,
    checks,
    resolve,
    caFile: str(values, 'ca-file') || undefined,
    nameserver,
    attempts,
    aws,
    logger: settings.logger,
  });
  emit(settings, report, renderVerifyText(report));
  return report.status === 'fail' ? 1 : 0;
}
