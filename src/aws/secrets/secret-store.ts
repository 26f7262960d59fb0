import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import type { AwsClientFactory } from '../client-factory.js';
import { AwsOperationError, errorCode } from '../../util/errors.js';

/** Secrets Manager answers this for a name that does not exist (or that the caller may not see). */
function isNotFound(err: unknown): boolean {
  return errorCode(err) === 'ResourceNotFoundException';
}

/** The value of a secret, or undefined when it does not exist. Other failures throw, wrapped once. */
export async function readSecretIfExists(
  aws: AwsClientFactory,
  region: string,
  secretId: string,
): Promise<string | undefined> {
  try {
    const out = await aws.secretsManager(region).send(new GetSecretValueCommand({ SecretId: secretId }));
    return (
      out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined)
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new AwsOperationError(`could not read ${secretId} from Secrets Manager in ${region}`, err);
  }
}

/**
 * Whether a secret exists with a current value, without reading it (DescribeSecret: the deploy role
 * need not read what it only writes). A secret scheduled for deletion is refused with what to do.
 */
export async function secretHasValue(
  aws: AwsClientFactory,
  region: string,
  secretId: string,
): Promise<boolean> {
  let out: DescribeSecretCommandOutput;
  try {
    out = await aws.secretsManager(region).send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (err) {
    if (isNotFound(err)) return false;
    throw new AwsOperationError(`could not describe ${secretId} in Secrets Manager in ${region}`, err);
  }
  if (out.DeletedDate) {
    throw new Error(
      `${secretId} in ${region} is scheduled for deletion: restore it (aws secretsmanager restore-secret --region ${region} --secret-id ${secretId}) or delete it for good, then re-run`,
    );
  }
  return Object.values(out.VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSCURRENT'));
}

/**
 * Store a value under a name: a new version of an existing secret (PutSecretValue), or a new secret
 * (CreateSecret, with its description and tags). Never logs or returns the value.
 */
export async function storeSecret(
  aws: AwsClientFactory,
  region: string,
  input: { name: string; value: string; description: string; tags: Record<string, string> },
): Promise<'created' | 'updated'> {
  const sm = aws.secretsManager(region);
  const put = async (): Promise<'updated'> => {
    try {
      await sm.send(new PutSecretValueCommand({ SecretId: input.name, SecretString: input.value }));
      return 'updated';
    } catch (err) {
      throw new AwsOperationError(
        `could not store a new value of ${input.name} in Secrets Manager in ${region}`,
        err,
      );
    }
  };
  if (await secretHasValue(aws, region, input.name)) return put();
  try {
    await sm.send(
      new CreateSecretCommand({
        Name: input.name,
        SecretString: input.value,
        Description: input.description,
        Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return 'created';
  } catch (err) {
    // Exists without a current value (created empty by hand), or created meanwhile: a new version.
    if (errorCode(err) === 'ResourceExistsException') return put();
    throw new AwsOperationError(`could not create ${input.name} in Secrets Manager in ${region}`, err);
  }
}
