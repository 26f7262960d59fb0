import type { AwsClientFactory } from '../aws/client-factory.js';
import { readSecretIfExists } from '../aws/secrets/secret-store.js';
import type { CoderClient } from '../coder/coder-client.js';
import { coderSecretNames } from '../coder/coder-secret-names.js';
import type { License } from '../coder/coder-types.js';
import type { GitopsConfig } from '../gitops/types.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

export interface LicenseStepReport {
  /** `absent`: no licence secret, Coder runs unlicensed; `unchanged`: already installed; `installed`: added now. */
  result: 'absent' | 'unchanged' | 'installed' | 'failed';
  /** The licence's uuid (its JWT `jti`), when known: an identifier, not the licence. */
  uuid?: string;
  message: string;
}

/** The claims of a JWT without verifying it (Coder verifies; this only recognises an installed one). */
export function licenseClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether Coder already holds this licence: Coder stores a licence under its JWT's `jti` as `uuid`
 * (enterprise/coderd/licenses.go postLicense); a licence without a `jti` gets a random uuid there, so it
 * is recognised by its claims instead.
 */
export function findInstalledLicense(
  installed: License[],
  claims: Record<string, unknown>,
): License | undefined {
  const jti = typeof claims.jti === 'string' ? claims.jti.toLowerCase() : undefined;
  if (jti) return installed.find((l) => l.uuid.toLowerCase() === jti);
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  return installed.find((l) => Object.entries(claims).every(([k, v]) => same(l.claims[k], v)));
}

/**
 * The licence from the hub's Secrets Manager, installed through POST /api/v2/licenses when Coder does
 * not hold it yet (missing, or the secret now holds another licence). An older licence is left
 * installed: Coder combines them, and removing one is a person's decision (`coder licenses delete`).
 */
export async function ensureCoderLicense(input: {
  config: GitopsConfig;
  client: CoderClient;
  aws: AwsClientFactory;
  logger: Logger;
}): Promise<LicenseStepReport> {
  const { config, client, aws, logger } = input;
  const hub = config.platform.hubRegion;
  const secretName = coderSecretNames(config.platform.project).license;
  try {
    const jwt = (await readSecretIfExists(aws, hub, secretName))?.trim();
    if (!jwt) {
      const message = `no licence: ${secretName} does not exist in ${hub}, so Coder runs without one (no workspace proxies, no external provisioners)`;
      logger.info(message);
      return { result: 'absent', message };
    }
    logger.setSecret(jwt);
    const claims = licenseClaims(jwt);
    if (!claims) {
      return {
        result: 'failed',
        message: `${secretName} in ${hub} does not hold a licence (expected the JWT Coder's licence e-mail contains: three base64url parts separated by dots)`,
      };
    }
    const installed = findInstalledLicense(await client.listLicenses(), claims);
    if (installed) {
      const message = `licence ${installed.uuid} from ${secretName} is installed`;
      logger.info(message);
      return { result: 'unchanged', uuid: installed.uuid, message };
    }
    const added = await client.addLicense(jwt);
    const message = `licence ${added.uuid} from ${secretName} installed in Coder`;
    logger.info(message);
    return { result: 'installed', uuid: added.uuid, message };
  } catch (err) {
    return { result: 'failed', message: `licence: ${errorMessage(err)}` };
  }
}
