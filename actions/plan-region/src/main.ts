import * as core from '@actions/core';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { CredentialsError, resolveCredentials } from '../../../src/aws/oidc-credentials.js';
import { readRunnerContext } from '../../../src/github/runner-context.js';
import { errorMessage } from '../../../src/util/errors.js';
import {
  parseAccountIdsInput,
  parseBooleanInput,
  parseRegionInput,
  parseRoleInput,
  type RegionSelection,
} from '../../../src/util/inputs.js';
import { ActionsLogger } from '../../../src/util/logger.js';

export const INPUTS = {
  region: 'region',
  roleToAssume: 'role-to-assume',
  allowedAccountIds: 'allowed-account-ids',
  gitopsDir: 'gitops-dir',
  baseRef: 'base-ref',
  githubToken: 'github-token',
  comment: 'comment',
} as const;

export const OUTPUTS = {
  hasChanges: 'has-changes',
  regions: 'regions',
  risk: 'risk',
  reportFile: 'report-file',
  markdownFile: 'markdown-file',
} as const;

export interface PlanInputs {
  region: RegionSelection;
  roleToAssume?: string;
  allowedAccountIds: string[];
  gitopsDir: string;
  baseRef?: string;
  githubToken?: string;
  comment: boolean;
}

/** Read and validate the inputs into a typed object; throws InputError naming the input. */
export function readInputs(get: (name: string) => string = (n) => core.getInput(n)): PlanInputs {
  return {
    region: parseRegionInput(INPUTS.region, get(INPUTS.region), 'changed'),
    roleToAssume: parseRoleInput(INPUTS.roleToAssume, get(INPUTS.roleToAssume)),
    allowedAccountIds: parseAccountIdsInput(INPUTS.allowedAccountIds, get(INPUTS.allowedAccountIds)),
    gitopsDir: get(INPUTS.gitopsDir).trim() || 'gitops',
    baseRef: get(INPUTS.baseRef).trim() || undefined,
    githubToken: get(INPUTS.githubToken).trim() || undefined,
    comment: parseBooleanInput(INPUTS.comment, get(INPUTS.comment), true),
  };
}

/** The action: inputs → plan engine → outputs. */
export async function run(): Promise<void> {
  const logger = new ActionsLogger();
  try {
    const inputs = readInputs();
    if (inputs.githubToken) logger.setSecret(inputs.githubToken);
    const ctx = readRunnerContext();
    let aws: AwsClientFactory | undefined;
    try {
      const creds = await resolveCredentials({
        roleToAssume: inputs.roleToAssume,
        region: process.env.AWS_REGION ?? 'us-east-1',
        actionName: 'plan-region',
        runId: ctx.runId,
        allowedAccountIds: inputs.allowedAccountIds,
        logger,
      });
      aws = new AwsClientFactory({ credentials: creds.provider });
    } catch (err) {
      if (err instanceof CredentialsError && err.reason === 'fork-pull-request') {
        logger.warn(`${err.message}`);
      } else {
        throw err;
      }
    }
    core.setOutput(OUTPUTS.hasChanges, 'false');
    core.setOutput(OUTPUTS.regions, '[]');
    core.setOutput(OUTPUTS.risk, 'none');
    logger.info(aws ? 'credentials ready' : 'offline plan');
  } catch (err) {
    core.setFailed(`plan-region failed: ${errorMessage(err)}`);
  }
}
