import type { AwsClientFactory } from '../aws/client-factory.js';
import type { GitopsConfig, RegionConfig, Thresholds } from '../gitops/types.js';
import type { Logger } from '../util/logger.js';
import type { ResolveOverride } from './resolve-overrides.js';

/** What every check gets: the resolved options of one run. */
export interface VerifyContext {
  config: GitopsConfig;
  domain: string;
  /** Regions checked, in config order (wave, then name). */
  regions: RegionConfig[];
  thresholds: Thresholds;
  scope: 'all' | 'region-only';
  resolve: ResolveOverride[];
  /** Trusted CAs (Node's store + the extra CA file), or undefined for Node's store alone. */
  ca?: string[];
  nameserver?: { host: string; port: number };
  attempts: number;
  aws?: AwsClientFactory;
  logger: Logger;
  now: () => Date;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}
