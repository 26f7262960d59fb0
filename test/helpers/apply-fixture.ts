import { ListStacksCommand } from '@aws-sdk/client-cloudformation';
import type { ApplyOptions } from '../../src/apply/apply-engine.js';
import type { AwsClientFactory } from '../../src/aws/client-factory.js';
import { MemoryLogger } from '../../src/util/logger.js';

/** Apply options for tests against the emulator: no waiting between polls, cluster step skipped, DNS promoted. */
export function applyOptions(
  base: Pick<ApplyOptions, 'config' | 'gitopsDir' | 'regions' | 'headSha' | 'aws'>,
  over: Partial<ApplyOptions> = {},
): ApplyOptions {
  return {
    dryRun: false,
    dns: 'promote',
    cluster: 'skip',
    allowDestructive: false,
    timeoutMinutes: 10,
    verify: {},
    logger: new MemoryLogger(),
    sleep: () => Promise.resolve(),
    pollIntervalMs: 0,
    ...base,
    ...over,
  };
}

/** Names of the stacks that exist in a region (deleted ones left out), sorted. */
export async function liveStacks(aws: AwsClientFactory, region: string): Promise<string[]> {
  const out = await aws.cloudFormation(region).send(new ListStacksCommand({}));
  return (out.StackSummaries ?? [])
    .filter((s) => s.StackStatus !== 'DELETE_COMPLETE')
    .map((s) => s.StackName!)
    .sort();
}
