import type { AwsClientFactory } from '../aws/client-factory.js';
import { secretHasValue, storeSecret } from '../aws/secrets/secret-store.js';
import type { CoderClient } from '../coder/coder-client.js';
import { coderSecretNames, producedSecretTags } from '../coder/coder-secret-names.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

export interface ProvisionerKeyReport {
  name: string;
  tags: Record<string, string>;
  /** `recreated`: the key existed but its secret did not (nobody held it), so it was deleted and made again. */
  result: 'created' | 'kept' | 'recreated' | 'skipped' | 'failed';
  keySecret: string;
  message?: string;
}

/** The key's name in Coder and the tags that place jobs in the region. */
export function provisionerKeyFor(region: string): { name: string; tags: Record<string, string> } {
  return { name: `region-${region}`, tags: { region } };
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * One provisioner key per region, tagged `region=<region>` (Coder hands a job to a daemon whose tags
 * match the template's, so a workspace is built in its own region), created through the primary's API
 * (POST /api/v2/organizations/default/provisionerkeys; the key is shown once) and stored in that
 * region's Secrets Manager. A key whose secret is missing cannot be recovered (Coder keeps a hash): it
 * is deleted and made again. Without a licence there are no external provisioners: skipped, said so.
 */
export async function ensureProvisionerKey(input: {
  config: GitopsConfig;
  region: RegionConfig;
  client: CoderClient;
  aws: AwsClientFactory;
  logger: Logger;
}): Promise<ProvisionerKeyReport> {
  const { config, region, client, aws, logger } = input;
  const { name, tags } = provisionerKeyFor(region.name);
  const secretName = coderSecretNames(config.platform.project).provisionerKey;
  const report: ProvisionerKeyReport = {
    name,
    tags,
    result: 'failed',
    keySecret: `${secretName} (${region.name})`,
  };
  if (config.platform.coder.license === 'none') {
    report.result = 'skipped';
    report.message = `no provisioner key: platform.yaml declares no Coder licence (coder.license: none), so the built-in provisioners of the primary build every workspace`;
    logger.info(report.message);
    return report;
  }
  try {
    const existing = (await client.listProvisionerKeys()).find((k) => k.name === name);
    if (existing && !sameTags(existing.tags ?? {}, tags)) {
      throw new Error(
        `provisioner key ${name} exists with tags ${JSON.stringify(existing.tags)}, not ${JSON.stringify(tags)}: delete it in Coder (coder provisioner keys delete ${name}) and re-run`,
      );
    }
    if (existing && (await secretHasValue(aws, region.name, secretName))) {
      report.result = 'kept';
      logger.info(`provisioner key ${name} exists and is stored in ${report.keySecret}: kept`);
      return report;
    }
    if (existing) {
      logger.warn(`provisioner key ${name} exists but ${report.keySecret} holds nothing: making it again`);
      await client.deleteProvisionerKey(name);
    }
    const created = await client.createProvisionerKey({ name, tags });
    if (!created)
      throw new Error(`Coder answered 409 for provisioner key ${name}: another run is making it; re-run`);
    logger.setSecret(created.key);
    try {
      await storeSecret(aws, region.name, {
        name: secretName,
        value: created.key,
        description: `Coder provisioner key ${name} (tags region=${region.name}; written by apply-region)`,
        tags: producedSecretTags(config.platform.project, region.name),
      });
    } catch (err) {
      throw new Error(
        `provisioner key ${name} was created in Coder but could not be stored in ${report.keySecret}: ${errorMessage(err)}. Re-run apply: it makes the key again`,
        { cause: err },
      );
    }
    report.result = existing ? 'recreated' : 'created';
    logger.info(
      `provisioner key ${name} (region=${region.name}) ${report.result}; stored in ${report.keySecret}`,
    );
    return report;
  } catch (err) {
    report.result = 'failed';
    report.message = errorMessage(err);
    return report;
  }
}
