import { resolve } from 'node:path';
import { AwsClientFactory } from '../aws/client-factory.js';
import { resolveCredentials } from '../aws/oidc-credentials.js';
import { parseAccountIdsInput, parseRoleInput } from '../util/inputs.js';
import type { Logger } from '../util/logger.js';
import { ConsoleLogger } from '../util/logger.js';
import type { OptionSpec } from './args.js';

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpec = {
  'gitops-dir': { type: 'string', default: 'gitops' },
  'role-to-assume': { type: 'string' },
  'allowed-account-ids': { type: 'string' },
  'hosted-zone-id': { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

export interface CommonSettings {
  gitopsDir: string;
  roleToAssume?: string;
  allowedAccountIds: string[];
  /** The zone's id when it is not platform.yaml's (a sandbox kept with --keep: the emulator makes its own ids). */
  hostedZoneId?: string;
  json: boolean;
  logger: Logger;
}

/** The options every command shares, validated like the actions' inputs. */
export function commonSettings(values: Record<string, string | boolean | undefined>): CommonSettings {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : '');
  return {
    gitopsDir: resolve(s('gitops-dir') || 'gitops'),
    roleToAssume: parseRoleInput('--role-to-assume', s('role-to-assume')),
    allowedAccountIds: parseAccountIdsInput('--allowed-account-ids', s('allowed-account-ids')),
    hostedZoneId: s('hosted-zone-id') || undefined,
    json: values.json === true,
    logger: new ConsoleLogger({ verbose: values.verbose === true }),
  };
}

/** Credentials as the actions get them: OIDC with --role-to-assume, else the SDK's default chain. */
export async function awsFactory(
  settings: CommonSettings,
  region: string,
  command: string,
): Promise<AwsClientFactory> {
  const creds = await resolveCredentials({
    roleToAssume: settings.roleToAssume,
    region,
    actionName: `cli-${command}`,
    runId: String(process.pid),
    allowedAccountIds: settings.allowedAccountIds,
    logger: settings.logger,
  });
  return new AwsClientFactory({ credentials: creds.provider });
}

/** Print the command's result: JSON for scripts, text for a person (both on stdout). */
export function emit(settings: CommonSettings, json: unknown, text: string): void {
  process.stdout.write(settings.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}
