import { randomBytes, randomUUID } from 'node:crypto';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { storeSecret } from '../aws/secrets/secret-store.js';
import { coderSecretNames } from '../coder/coder-secret-names.js';
import type { GitopsConfig } from '../gitops/types.js';

/**
 * A licence-shaped JWT for the stand-in: Coder's claims (enterprise/coderd/license/license.go Claims:
 * `jti`, `license_expires`, `all_features`, `feature_set`, …) with no real signature. The stand-in does
 * not check signatures (CODER_STAND_IN_GAPS); real Coder would refuse it.
 */
export function sandboxLicenseJwt(now = Date.now()): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = {
    jti: randomUUID(),
    iss: 'sandbox',
    license_expires: Math.floor(now / 1000) + 365 * 86_400,
    account_type: 'sandbox',
    account_id: 'coder-gitops-sandbox',
    trial: false,
    all_features: true,
    feature_set: 'premium',
    version: 3,
    features: {},
  };
  return `${part({ alg: 'EdDSA', typ: 'JWT', kid: 'sandbox' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
}

/**
 * What an operator creates once in the hub region before the first rollout (gitops/README.md): an owner
 * token for the primary and, since proxies and external provisioners need one, a licence.
 */
export async function createOperatorCoderSecrets(
  admin: AwsClientFactory,
  config: GitopsConfig,
): Promise<{ ownerToken: string; secrets: string[] }> {
  const names = coderSecretNames(config.platform.project);
  const hub = config.platform.hubRegion;
  const ownerToken = `${randomBytes(5).toString('hex')}-${randomBytes(16).toString('hex')}`;
  const tags = { project: config.platform.project, region: hub, producer: 'operator' };
  await storeSecret(admin, hub, {
    name: names.ownerToken,
    value: ownerToken,
    description: 'Coder owner session token for apply-region (sandbox operator)',
    tags,
  });
  await storeSecret(admin, hub, {
    name: names.license,
    value: sandboxLicenseJwt(),
    description: 'Coder licence JWT (sandbox: unsigned, the stand-in does not check signatures)',
    tags,
  });
  return { ownerToken, secrets: [`${names.ownerToken} (${hub})`, `${names.license} (${hub})`] };
}
