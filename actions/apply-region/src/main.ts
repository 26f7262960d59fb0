import * as core from '@actions/core';
import { resolve } from 'node:path';
import { runApply } from '../../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { resolveCredentials } from '../../../src/aws/oidc-credentials.js';
import { findMergedPullRequest } from '../../../src/github/associated-pull.js';
import { createOctokit } from '../../../src/github/octokit.js';
import { readRunnerContext } from '../../../src/github/runner-context.js';
import { selectRegions } from '../../../src/gitops/select-regions.js';
import { loadValidatedGitops } from '../../../src/gitops/validate-gitops.js';
import { renderApplyMarkdown } from '../../../src/report/apply-markdown.js';
import { leaveFailureReport } from '../../../src/report/failure-report.js';
import { writeReportFile } from '../../../src/report/write-report.js';
import { errorMessage } from '../../../src/util/errors.js';
import {
  parseAccountIdsInput,
  parseBooleanInput,
  parseEnumInput,
  parseIntegerInput,
  parseRegionInput,
  parseRoleInput,
  type RegionSelection,
} from '../../../src/util/inputs.js';
import { ActionsLogger } from '../../../src/util/logger.js';
import { parseOptionalNameserver } from '../../../src/verify/verify-inputs.js';
import { parseResolveOverrides, type ResolveOverride } from '../../../src/verify/resolve-overrides.js';
import { clusterStepFor } from '../../../src/apply/cluster-step.js';
import { coderStepFor } from '../../../src/apply/coder-region-step.js';

export const INPUTS = {
  region: 'region',
  roleToAssume: 'role-to-assume',
  allowedAccountIds: 'allowed-account-ids',
  gitopsDir: 'gitops-dir',
  dryRun: 'dry-run',
  dns: 'dns',
  cluster: 'cluster',
  allowDestructive: 'allow-destructive',
  timeoutMinutes: 'timeout-minutes',
  githubToken: 'github-token',
  fluxCli: 'flux-cli',
  caFile: 'ca-file',
  resolve: 'resolve',
  nameserver: 'nameserver',
} as const;

export const OUTPUTS = {
  status: 'status',
  applied: 'applied',
  stackOutputs: 'stack-outputs',
  reportFile: 'report-file',
} as const;

export interface ApplyInputs {
  region: RegionSelection;
  roleToAssume?: string;
  allowedAccountIds: string[];
  gitopsDir: string;
  dryRun: boolean;
  dns: 'promote' | 'hold' | 'remove';
  cluster: 'eks' | 'kubeconfig' | 'skip';
  allowDestructive: boolean;
  timeoutMinutes: number;
  githubToken?: string;
  fluxCli: string;
  caFile?: string;
  resolve: ResolveOverride[];
  nameserver?: { host: string; port: number };
}

/** Read and validate the inputs into a typed object; throws InputError naming the input. */
export function readInputs(get: (name: string) => string = (n) => core.getInput(n)): ApplyInputs {
  return {
    region: parseRegionInput(INPUTS.region, get(INPUTS.region), 'changed'),
    roleToAssume: parseRoleInput(INPUTS.roleToAssume, get(INPUTS.roleToAssume)),
    allowedAccountIds: parseAccountIdsInput(INPUTS.allowedAccountIds, get(INPUTS.allowedAccountIds)),
    gitopsDir: get(INPUTS.gitopsDir).trim() || 'gitops',
    dryRun: parseBooleanInput(INPUTS.dryRun, get(INPUTS.dryRun), false),
    dns: parseEnumInput(INPUTS.dns, get(INPUTS.dns), ['promote', 'hold', 'remove'] as const, 'promote'),
    cluster: parseEnumInput(
      INPUTS.cluster,
      get(INPUTS.cluster),
      ['eks', 'kubeconfig', 'skip'] as const,
      'eks',
    ),
    allowDestructive: parseBooleanInput(INPUTS.allowDestructive, get(INPUTS.allowDestructive), false),
    timeoutMinutes: parseIntegerInput(INPUTS.timeoutMinutes, get(INPUTS.timeoutMinutes), 60, 1, 360),
    githubToken: get(INPUTS.githubToken).trim() || undefined,
    fluxCli: get(INPUTS.fluxCli).trim() || 'flux',
    caFile: get(INPUTS.caFile).trim() || undefined,
    resolve: parseResolveOverrides(get(INPUTS.resolve), INPUTS.resolve),
    nameserver: parseOptionalNameserver(get(INPUTS.nameserver), INPUTS.nameserver),
  };
}

/** The action: inputs → apply engine (waves, reviewed change sets, cluster, verify, DNS) → outputs. */
export async function run(): Promise<void> {
  const logger = new ActionsLogger();
  let reportDir = process.env.RUNNER_TEMP ?? '/tmp';
  try {
    const inputs = readInputs();
    if (inputs.githubToken) logger.setSecret(inputs.githubToken);
    const ctx = readRunnerContext();
    reportDir = ctx.tempDir;
    const config = await loadValidatedGitops(resolve(ctx.workspace, inputs.gitopsDir));
    const choice = await selectRegions(config, inputs.region, {
      input: INPUTS.region,
      repoDir: ctx.workspace,
      base: ctx.push?.before,
      head: ctx.push?.after ?? ctx.sha,
    });
    logger.info(`regions: ${choice.regions.join(', ') || 'none'} (${choice.why})`);
    const creds = await resolveCredentials({
      roleToAssume: inputs.roleToAssume,
      region: config.platform.hubRegion,
      actionName: 'apply-region',
      runId: ctx.runId,
      allowedAccountIds: inputs.allowedAccountIds,
      logger,
    });
    const aws = new AwsClientFactory({ credentials: creds.provider });
    let reviewed: { prNumber: number; headSha: string } | undefined;
    if (ctx.repository && ctx.sha) {
      try {
        const pr = await findMergedPullRequest(createOctokit(inputs.githubToken, ctx.apiUrl), {
          ...ctx.repository,
          sha: ctx.sha,
        });
        if (pr) {
          reviewed = { prNumber: pr.number, headSha: pr.headSha };
          logger.info(`reviewed plan: pull request #${pr.number} at ${pr.headSha.slice(0, 12)}`);
        } else {
          logger.info(
            `no pull request was merged as ${ctx.sha.slice(0, 12)}: every change set is created now and weighed against the limit for unreviewed changes`,
          );
        }
      } catch (err) {
        logger.warn(
          `${errorMessage(err)}: every change set is created now and weighed against the limit for unreviewed changes`,
        );
      }
    }
    const report = await runApply({
      config,
      gitopsDir: config.dir,
      regions: choice.regions,
      headSha: ctx.sha,
      reviewed,
      dryRun: inputs.dryRun,
      dns: inputs.dns,
      cluster: inputs.cluster,
      allowDestructive: inputs.allowDestructive,
      timeoutMinutes: inputs.timeoutMinutes,
      verify: { caFile: inputs.caFile, resolve: inputs.resolve, nameserver: inputs.nameserver },
      aws,
      logger,
      clusterStep: clusterStepFor(inputs.cluster, {
        fluxCli: inputs.fluxCli,
        kubeconfig: process.env.KUBECONFIG,
      }),
      // The Coder API side exists only where the cluster side runs (`cluster: skip` skips both).
      coderStep:
        inputs.cluster === 'skip'
          ? undefined
          : coderStepFor({ caFile: inputs.caFile, resolve: inputs.resolve }),
      // The Coder version per region, primary first (src/apply/coder-upgrade.ts); runs only with the cluster step.
      coderUpgrade: { caFile: inputs.caFile, resolve: inputs.resolve },
    });
    const reportFile = writeReportFile(reportDir, 'apply-report.json', report);
    await core.summary.addRaw(renderApplyMarkdown(report), true).write();
    core.setOutput(OUTPUTS.status, report.status);
    core.setOutput(
      OUTPUTS.applied,
      JSON.stringify(
        report.applied.map((a) => ({
          region: a.region,
          stack: a.stackName,
          changeSet: a.changeSet,
          result: a.result,
          durationMs: a.durationMs,
        })),
      ),
    );
    core.setOutput(OUTPUTS.stackOutputs, JSON.stringify(report.stackOutputs));
    core.setOutput(OUTPUTS.reportFile, reportFile);
    if (report.status === 'failed') {
      core.setFailed(`apply-region failed: ${report.errors.join('; ') || 'see the log'}`);
    }
  } catch (err) {
    core.setOutput(OUTPUTS.status, 'failed');
    await leaveFailureReport('apply-region', 'apply-report.json', errorMessage(err));
    core.setFailed(`apply-region failed: ${errorMessage(err)}`);
  }
}
