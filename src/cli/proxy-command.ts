import { deleteWorkspaceProxy } from '../apply/delete-workspace-proxy.js';
import { loadValidatedGitops } from '../gitops/validate-gitops.js';
import { InputError } from '../util/errors.js';
import { parseResolveOverrides } from '../verify/resolve-overrides.js';
import { parseCommandArgs, str } from './args.js';
import { awsFactory, COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const PROXY_HELP = `coder-gitops proxy delete --region <name> --yes [--ca-file PEM] [--resolve host:port:address[:port]]...
    [--role-to-assume ARN] [--allowed-account-ids IDS] [--gitops-dir gitops] [--json]
  Deletes the region's workspace proxy in Coder (reached at https://<hub>.<domain> with the owner token
  from Secrets Manager). Draining a region never does this; without --yes nothing is deleted.`;

/** `coder-gitops proxy delete`: exit 0 when deleted (or already gone), 2 on bad options. */
export async function proxyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('proxy', argv, {
    ...COMMON_OPTIONS,
    region: { type: 'string' },
    yes: { type: 'boolean', default: false },
    'ca-file': { type: 'string' },
    resolve: { type: 'string', multiple: true },
  });
  if (values.help) return (process.stdout.write(`${PROXY_HELP}\n`), 0);
  if (positionals[0] !== 'delete' || positionals.length !== 1) {
    throw new InputError(
      'proxy',
      `expected 'proxy delete --region <name> --yes' (see 'coder-gitops proxy --help')`,
    );
  }
  const settings = commonSettings(values);
  const region = str(values, 'region');
  const resolve = parseResolveOverrides(
    ((values.resolve as unknown as string[] | undefined) ?? []).join('\n'),
    '--resolve',
  );
  const config = await loadValidatedGitops(settings.gitopsDir);
  if (!config.regions.some((r) => r.name === region)) {
    throw new InputError(
      '--region',
      `'${region}' is not declared under regions/ (known: ${config.regions.map((r) => r.name).join(', ')})`,
    );
  }
  if (region === config.platform.hubRegion) {
    throw new InputError('--region', `${region} is the hub: it runs the primary, not a workspace proxy`);
  }
  if (values.yes !== true) {
    throw new InputError(
      '--yes',
      `deleting the workspace proxy of ${region} is not undone by a re-run: add --yes`,
    );
  }
  const aws = await awsFactory(settings, config.platform.hubRegion, 'proxy');
  const report = await deleteWorkspaceProxy({
    config,
    region,
    aws,
    access: { caFile: str(values, 'ca-file') || undefined, resolve },
    logger: settings.logger,
  });
  emit(
    settings,
    report,
    [`workspace proxy ${report.proxy}: ${report.result}`, ...report.notes.map((n) => `  - ${n}`)].join('\n'),
  );
  return 0;
}
