import * as core from '@actions/core';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { resolveCredentials } from '../../../src/aws/oidc-credentials.js';
import { DEFAULT_INCIDENT_POLICY, syncIncidents } from '../../../src/github/incident-issues.js';
import { parseLoginInput } from '../../../src/github/trusted-author.js';
import { createOctokit } from '../../../src/github/octokit.js';
import { readRunnerContext } from '../../../src/github/runner-context.js';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { renderVerifyMarkdown } from '../../../src/report/verify-markdown.js';
import { leaveFailureReport } from '../../../src/report/failure-report.js';
import { writeReportFile } from '../../../src/report/write-report.js';
import { errorMessage, InputError } from '../../../src/util/errors.js';
import {
  parseAccountIdsInput,
  parseBooleanInput,
  parseIntegerInput,
  parseRegionInput,
  parseRoleInput,
  type RegionSelection,
} from '../../../src/util/inputs.js';
import { ActionsLogger } from '../../../src/util/logger.js';
import { failingResults, type CheckName } from '../../../src/verify/check-result.js';
import {
  parseCheckNames,
  parseOptionalNameserver,
  verifyRegionNames,
} from '../../../src/verify/verify-inputs.js';
import { runVerify } from '../../../src/verify/verify-engine.js';
import { parseResolveOverrides, type ResolveOverride } from '../../../src/verify/resolve-overrides.js';
import { resolve } from 'node:path';

export const INPUTS = {
  region: 'region',
  gitopsDir: 'gitops-dir',
  roleToAssume: 'role-to-assume',
  allowedAccountIds: 'allowed-account-ids',
  checks: 'checks',
  resolve: 'resolve',
  caFile: 'ca-file',
  nameserver: 'nameserver',
  attempts: 'attempts',
  incidentIssue: 'incident-issue',
  githubToken: 'github-token',
  markerAuthor: 'marker-author',
} as const;

export const OUTPUTS = { status: 'status', failing: 'failing', reportFile: 'report-file' } as const;

export interface VerifyInputs {
  region: RegionSelection;
  gitopsDir: string;
  roleToAssume?: string;
  allowedAccountIds: string[];
  checks: CheckName[];
  resolve: ResolveOverride[];
  caFile?: string;
  nameserver?: { host: string; port: number };
  attempts: number;
  incidentIssue: boolean;
  githubToken?: string;
  /** Login the token writes as (comments and issues with our marker by anyone else are not ours). */
  markerAuthor: string;
}

/** Read and validate the inputs into a typed object; throws InputError naming the input. */
export function readInputs(get: (name: string) => string = (n) => core.getInput(n)): VerifyInputs {
  return {
    region: parseRegionInput(INPUTS.region, get(INPUTS.region), 'all'),
    gitopsDir: get(INPUTS.gitopsDir).trim() || 'gitops',
    roleToAssume: parseRoleInput(INPUTS.roleToAssume, get(INPUTS.roleToAssume)),
    allowedAccountIds: parseAccountIdsInput(INPUTS.allowedAccountIds, get(INPUTS.allowedAccountIds)),
    checks: parseCheckNames(get(INPUTS.checks), INPUTS.checks),
    resolve: parseResolveOverrides(get(INPUTS.resolve), INPUTS.resolve),
    caFile: get(INPUTS.caFile).trim() || undefined,
    nameserver: parseOptionalNameserver(get(INPUTS.nameserver), INPUTS.nameserver),
    attempts: parseIntegerInput(INPUTS.attempts, get(INPUTS.attempts), 3, 1, 10),
    incidentIssue: parseBooleanInput(INPUTS.incidentIssue, get(INPUTS.incidentIssue), false),
    githubToken: get(INPUTS.githubToken).trim() || undefined,
    markerAuthor: parseLoginInput(INPUTS.markerAuthor, get(INPUTS.markerAuthor)),
  };
}

/** The action: inputs → verify engine → outputs, summary, incidents. */
export async function run(): Promise<void> {
  const logger = new ActionsLogger();
  try {
    const inputs = readInputs();
    if (inputs.githubToken) logger.setSecret(inputs.githubToken);
    const ctx = readRunnerContext();
    const config = await loadGitops(resolve(ctx.workspace, inputs.gitopsDir));
    const regions = verifyRegionNames(config, inputs.region, INPUTS.region);
    let aws: AwsClientFactory | undefined;
    if (inputs.roleToAssume) {
      const creds = await resolveCredentials({
        roleToAssume: inputs.roleToAssume,
        region: config.platform.hubRegion,
        actionName: 'verify-endpoints',
        runId: ctx.runId,
        allowedAccountIds: inputs.allowedAccountIds,
        logger,
      });
      aws = new AwsClientFactory({ credentials: creds.provider });
    } else {
      logger.info('no role-to-assume: the AWS-side checks (health, Aurora, TestDNSAnswer) are not run');
    }
    const report = await runVerify({
      config,
      regions,
      checks: inputs.checks,
      resolve: inputs.resolve,
      caFile: inputs.caFile,
      nameserver: inputs.nameserver,
      attempts: inputs.attempts,
      aws,
      logger,
    });
    const failing = failingResults(report.results);
    let incidents: Awaited<ReturnType<typeof syncIncidents>> | undefined;
    if (inputs.incidentIssue) {
      if (!ctx.repository)
        throw new InputError(
          INPUTS.incidentIssue,
          'GITHUB_REPOSITORY is not set: incident issues need a repository',
        );
      try {
        incidents = await syncIncidents(
          createOctokit(inputs.githubToken, ctx.apiUrl),
          ctx.repository,
          report,
          new Date(),
          DEFAULT_INCIDENT_POLICY,
          inputs.markerAuthor,
        );
        logger.info(
          `incident issues: opened ${incidents.opened.length}, updated ${incidents.updated.length}, closed ${incidents.closed.length}`,
        );
      } catch (err) {
        logger.warn(`could not update incident issues: ${errorMessage(err)}`);
      }
    }
    const reportFile = writeReportFile(ctx.tempDir, 'verify-report.json', { ...report, incidents });
    await core.summary.addRaw(renderVerifyMarkdown(report), true).write();
    core.setOutput(OUTPUTS.status, report.status);
    core.setOutput(OUTPUTS.failing, JSON.stringify(failing));
    core.setOutput(OUTPUTS.reportFile, reportFile);
    if (report.status === 'fail') {
      core.setFailed(
        `verify-endpoints failed: ${failing
          .filter((r) => r.status === 'fail')
          .map((r) => `${r.check} ${r.target}: ${r.summary}`)
          .join('; ')}`,
      );
    } else if (report.status === 'degraded') {
      core.warning(
        `verify-endpoints degraded: ${failing.map((r) => `${r.check} ${r.target}: ${r.summary}`).join('; ')}`,
      );
    }
  } catch (err) {
    core.setOutput(OUTPUTS.status, 'fail');
    await leaveFailureReport('verify-endpoints', 'verify-report.json', errorMessage(err));
    core.setFailed(`verify-endpoints failed: ${errorMessage(err)}`);
  }
}
