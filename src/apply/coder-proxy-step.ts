import type { AwsClientFactory } from '../aws/client-factory.js';
import { secretHasValue, storeSecret } from '../aws/secrets/secret-store.js';
import type { CoderClient } from '../coder/coder-client.js';
import { coderSecretNames, producedSecretTags } from '../coder/coder-secret-names.js';
import type { WorkspaceProxy } from '../coder/coder-types.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/** What happened to a region's workspace proxy; never holds its token. */
export interface ProxyStepReport {
  name: string;
  id?: string;
  /** `created`: new proxy, token stored; `kept`: it and its stored token exist; `regenerated`: it existed without a stored token. */
  result: 'created' | 'kept' | 'regenerated' | 'failed';
  /** Where the token is: `<secret name> (<region>)`. */
  tokenSecret: string;
  message?: string;
}

export interface ProxyStepInput {
  config: GitopsConfig;
  region: RegionConfig;
  /** The primary's API with the owner token. */
  client: CoderClient;
  aws: AwsClientFactory;
  logger: Logger;
}

/** The proxy's name in Coder: the region's name (`coder-gitops proxy delete --region` uses the same rule). */
export function proxyNameFor(region: string): string {
  return region;
}

function findProxy(proxies: WorkspaceProxy[], name: string): WorkspaceProxy | undefined {
  return proxies.find((p) => p.name.toLowerCase() === name.toLowerCase() && !p.deleted);
}

/**
 * Register a proxy region with the primary and keep its token only in that region's Secrets Manager.
 * Idempotent: an existing proxy whose token secret exists keeps its token; one whose token was never
 * stored (a run that stopped between creation and storage) gets a new token (PATCH regenerate_token),
 * which is stored; the token Coder showed and nobody kept stops working. Never deletes a proxy.
 */
export async function ensureWorkspaceProxy(input: ProxyStepInput): Promise<ProxyStepReport> {
  const { config, region, client, aws, logger } = input;
  const name = proxyNameFor(region.name);
  const secretName = coderSecretNames(config.platform.project).proxyToken;
  const report: ProxyStepReport = { name, result: 'failed', tokenSecret: `${secretName} (${region.name})` };
  const store = async (token: string, proxy: WorkspaceProxy): Promise<void> => {
    logger.setSecret(token);
    report.id = proxy.id;
    try {
      await storeSecret(aws, region.name, {
        name: secretName,
        value: token,
        description: `Coder workspace proxy token of ${name} (written by apply-region; read by the proxy through External Secrets)`,
        tags: producedSecretTags(config.platform.project, region.name),
      });
    } catch (err) {
      throw new Error(
        `workspace proxy ${name} exists in Coder but its token could not be stored in ${report.tokenSecret}: ${errorMessage(err)}. Re-run apply: it regenerates the token and stores it`,
        { cause: err },
      );
    }
  };
  try {
    let proxy = findProxy(await client.listWorkspaceProxies(), name);
    if (!proxy) {
      const created = await client.createWorkspaceProxy({
        name,
        display_name: region.name,
        icon: '/emojis/1f310.png',
      });
      if (created) {
        await store(created.proxy_token, created.proxy);
        logger.info(`workspace proxy ${name} created in Coder; its token is stored in ${report.tokenSecret}`);
        report.result = 'created';
        return report;
      }
      // 409: made meanwhile by someone else; treat it as existing.
      proxy = findProxy(await client.listWorkspaceProxies(), name);
      if (!proxy) throw new Error(`Coder answered 409 for workspace proxy ${name} but does not list it`);
    }
    report.id = proxy.id;
    if (await secretHasValue(aws, region.name, secretName)) {
      logger.info(`workspace proxy ${name} exists and its token is stored in ${report.tokenSecret}: kept`);
      report.result = 'kept';
      return report;
    }
    logger.warn(
      `workspace proxy ${name} exists but ${report.tokenSecret} holds no token (a run stopped between creation and storage?): regenerating it`,
    );
    const patched = await client.regenerateProxyToken(proxy);
    if (!patched.proxy_token) throw new Error(`Coder regenerated no token for workspace proxy ${name}`);
    await store(patched.proxy_token, patched.proxy);
    report.result = 'regenerated';
    logger.info(`workspace proxy ${name}: new token stored in ${report.tokenSecret}`);
    return report;
  } catch (err) {
    report.result = 'failed';
    report.message = errorMessage(err);
    return report;
  }
}
