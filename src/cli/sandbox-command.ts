import { renderSandboxText, runSandbox } from '../sandbox/run-sandbox.js';
import { parseCommandArgs } from './args.js';
import { COMMON_OPTIONS, commonSettings, emit } from './common.js';

export const SANDBOX_HELP = `coder-gitops sandbox [--keep] [--gitops-dir gitops] [--json]
  The whole pipeline on this machine with no AWS account (what npm start runs): moto, a local CA and
  one HTTPS endpoint per region answering like Coder, stand-in NLBs, Knot DNS answering by client
  subnet; bootstrap github-oidc, then plan, apply (cluster: skip) and verify every enabled region.
  --keep leaves everything running and prints the environment to reuse with the CLI.`;

/** `coder-gitops sandbox`: exit 0 when every enabled region was applied, promoted and verified. */
export async function sandboxCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('sandbox', argv, {
    ...COMMON_OPTIONS,
    keep: { type: 'boolean', default: false },
  });
  if (values.help) return (process.stdout.write(`${SANDBOX_HELP}\n`), 0);
  const settings = commonSettings(values);
  const report = await runSandbox({
    gitopsDir: settings.gitopsDir,
    keep: values.keep === true,
    logger: settings.logger,
  });
  emit(settings, report, renderSandboxText(report));
  return report.ok ? 0 : 1;
}
