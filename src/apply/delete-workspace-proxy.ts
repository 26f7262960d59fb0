import type { AwsClientFactory } from '../aws/client-factory.js';
import { coderSecretNames } from '../coder/coder-secret-names.js';
import type { GitopsConfig } from '../gitops/types.js';
import type { Logger } from '../util/logger.js';
import { proxyNameFor } from './coder-proxy-step.js';
import { openPrimaryClient, type CoderAccess } from './coder-region-step.js';

export interface DeleteProxyReport {
  region: string;
  proxy: string;
  result: 'deleted' | 'not-found';
  /** What stays and what a person may still want to do. */
  notes: string[];
}

/**
 * Delete a region's workspace proxy in Coder: a person's decision (`coder-gitops proxy delete`), never a
 * side effect of draining. Its token stops working with it; the token secret is left in place (the next
 * apply of an enabled proxy region registers a new proxy and overwrites it).
 */
export async function deleteWorkspaceProxy(input: {
  config: GitopsConfig;
  region: string;
  aws: AwsClientFactory;
  access: CoderAccess;
  logger: Logger;
}): Promise<DeleteProxyReport> {
  const { config, region, aws, access, logger } = input;
  const name = proxyNameFor(region);
  const client = await openPrimaryClient(config, aws, access, logger);
  const found = (await client.listWorkspaceProxies()).find((p) => p.name === name && !p.deleted);
  const notes: string[] = [];
  const declared = config.regions.find((r) => r.name === region);
  if (declared?.enabled && declared.coder === 'proxy') {
    notes.push(
      `${region} is still an enabled proxy region in ${declared.file}: the next apply registers it again; set enabled: false (or drain it) first`,
    );
  }
  const secret = coderSecretNames(config.platform.project).proxyToken;
  notes.push(
    `${secret} in ${region} is left in place and no longer works (delete it with aws secretsmanager delete-secret --region ${region} --secret-id ${secret} if the region is gone for good)`,
  );
  if (!found) return { region, proxy: name, result: 'not-found', notes };
  await client.deleteWorkspaceProxy(found.id);
  logger.info(`workspace proxy ${name} (${found.id}) deleted in Coder`);
  return { region, proxy: name, result: 'deleted', notes };
}
