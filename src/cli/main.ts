import { ConfigurationError, ConfigurationErrors, errorMessage, InputError } from '../util/errors.js';
import { CredentialsError } from '../aws/oidc-credentials.js';

const HELP = `coder-gitops: plan, apply and verify Coder across AWS regions from gitops/

usage: coder-gitops <command> [options]   (--help after a command for its options)

  validate   check gitops/ (schema, cross-checks, Flux variables, pinned charts)
  plan       what would change, per region and layer (CloudFormation, Flux, Route 53, cluster vars)
  apply      apply regions in waves, hand clusters to Flux, verify, put regions into latency routing
  verify     synthetic checks: HTTPS/TLS, latency routing, health checks, Aurora cold start, versions
  drift      what moved away from Git: CloudFormation drift, the DNS records apply-region owns
  sandbox    the whole pipeline on this machine: moto, local HTTPS endpoints, Knot DNS (npm start)
  status-page     render the static status page from the synthetics history
  history-append  record one synthetics report on the history branch (fetch, rebase, retry)
  proxy delete  delete a region's Coder workspace proxy (a person's decision; draining never does it)
  doctor     the GitHub settings the trust rests on: OIDC subject template, environment, branch protection

The same engines as the GitHub Actions; AWS credentials from the SDK's default chain, or
--role-to-assume through GitHub OIDC. AWS_ENDPOINT_URL points every AWS call elsewhere (moto).`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./validate-command.js')).validateCommand,
  plan: async () => (await import('./plan-command.js')).planCommand,
  apply: async () => (await import('./apply-command.js')).applyCommand,
  verify: async () => (await import('./verify-command.js')).verifyCommand,
  drift: async () => (await import('./drift-command.js')).driftCommand,
  sandbox: async () => (await import('./sandbox-command.js')).sandboxCommand,
  'status-page': async () => (await import('./status-page-command.js')).statusPageCommand,
  'history-append': async () => (await import('./history-append-command.js')).historyAppendCommand,
  doctor: async () => (await import('./doctor-command.js')).doctorCommand,
  proxy: async () => (await import('./proxy-command.js')).proxyCommand,
};

/** Run the CLI; returns the exit code. User mistakes print one clear message, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(
      `coder-gitops: unknown command '${name}' (use one of ${Object.keys(COMMANDS).join(', ')})\n`,
    );
    return 2;
  }
  try {
    return await (
      await load()
    )(rest);
  } catch (err) {
    if (
      err instanceof ConfigurationErrors ||
      err instanceof ConfigurationError ||
      err instanceof InputError ||
      err instanceof CredentialsError
    ) {
      process.stderr.write(`coder-gitops ${name}: ${err.message}\n`);
      return err instanceof InputError ? 2 : 1;
    }
    process.stderr.write(`coder-gitops ${name} failed: ${errorMessage(err)}\n`);
    if (process.env.CODER_GITOPS_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return 1;
  }
}

const invoked = process.argv[1] ? new URL(`file://${process.argv[1]}`).pathname : '';
if (invoked.endsWith('/cli/main.ts') || invoked.endsWith('/cli/main.js')) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
