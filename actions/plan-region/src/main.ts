import * as core from '@actions/core';
import { resolve } from 'node:path';
import { AwsClientFactory } from '../../../src/aws/client-factory.js';
import { CredentialsError, resolveCredentials } from '../../../src/aws/oidc-credentials.js';
import { createOctokit } from '../../../src/github/octokit.js';
import { readRunnerContext, runUrl } from '../../../src/github/runner-context.js';
import { upsertStickyComment } from '../../../src/github/sticky-comment.js';
import { parseLoginInput } from '../../../src/github/trusted-author.js';
import { locateHelm } from '../../../src/helm/locate-helm.js';
import { runPlan } from '../../../src/plan/plan-engine.js';
import { preparePlanBase } from '../../../src/plan/prepare-base.js';
import { COMMENT_BUDGET, renderPlanMarkdown, SUMMARY_BUDGET } from '../../../src/report/plan-markdown.js';
import { leaveFailureReport } from '../../../src/report/failure-report.js';
import { writeReportFile } from '../../../src/report/write-report.js';
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
  markerAuthor: 'marker-author',
  comment: 'comment',
  helm: 'helm',
} as const;

export const OUTPUTS = {
  hasChanges: 'has-changes',
  regions: 'regions',
  risk: 'risk',
  reportFile: 'report-file',
  markdownFile: 'markdown-file',
} as const;

export const COMMENT_MARKER = '<!-- coder-gitops:plan -->';

export interface PlanInputs {
  region: RegionSelection;
  roleToAssume?: string;
  allowedAccountIds: string[];
  gitopsDir: string;
  baseRef?: string;
  githubToken?: string;
  /** Login the token writes as (comments and issues with our marker by anyone else are not ours). */
  markerAuthor: string;
  comment: boolean;
  /** helm to render charts with; empty = `HELM` or `helm` on PATH. */
  helm?: string;
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
    markerAuthor: parseLoginInput(INPUTS.markerAuthor, get(INPUTS.markerAuthor)),
    comment: parseBooleanInput(INPUTS.comment, get(INPUTS.comment), true),
    helm: get(INPUTS.helm).trim() || undefined,
  };
}

/** The action: inputs → plan engine → sticky comment, summary, outputs. */
export async function run(): Promise<void> {
  const logger = new ActionsLogger();
  try {
    const inputs = readInputs();
    if (inputs.githubToken) logger.setSecret(inputs.githubToken);
    const ctx = readRunnerContext();
    const gitopsDir = resolve(ctx.workspace, inputs.gitopsDir);
    const headSha = ctx.pullRequest?.headSha || ctx.sha;
    const baseRef = inputs.baseRef || ctx.pullRequest?.baseSha || 'HEAD^';
    let aws: AwsClientFactory | undefined;
    let offlineReason: string | undefined;
    try {
      const creds = await resolveCredentials({
        roleToAssume: inputs.roleToAssume,
        region: process.env.AWS_REGION || 'us-east-1',
        actionName: 'plan-region',
        runId: ctx.runId,
        allowedAccountIds: inputs.allowedAccountIds,
        logger,
      });
      aws = new AwsClientFactory({ credentials: creds.provider });
    } catch (err) {
      if (err instanceof CredentialsError && err.reason === 'fork-pull-request') {
        offlineReason = 'pull request from a fork: GitHub gives it no OIDC token, so no AWS credentials';
      } else if (
        !inputs.roleToAssume &&
        !(err instanceof CredentialsError && err.reason === 'account-not-allowed')
      ) {
        offlineReason = `no role-to-assume and no ambient AWS credentials (${errorMessage(err)})`;
      } else {
        throw err;
      }
      logger.warn(`offline plan: ${offlineReason}`);
    }

    // After the credentials: a job that lacks id-token: write, or the wrong account, is told that first.
    const base = await preparePlanBase({
      repoDir: ctx.workspace,
      gitopsDir,
      baseRef,
      headRef: headSha || 'HEAD',
      tmpDir: ctx.tempDir,
    }).catch((err: unknown) => {
      // A base someone asked for (the input, the pull request's) must exist; the fallback HEAD^ may not
      // (a repository's first commit): then every region is planned against what is deployed.
      if (inputs.baseRef || ctx.pullRequest) throw err;
      logger.warn(`no base revision to compare with (${errorMessage(err)}): planning every region`);
      return undefined;
    });

    // Charts are rendered with the runner's helm; without a supported one the plan says so (a warning).
    const helm = await locateHelm({ explicit: inputs.helm });
    if (helm.found)
      logger.info(`helm ${helm.version} (${helm.path}) renders the charts a pull request changes`);
    else logger.warn(`charts will not be rendered: ${helm.reason}`);

    const report = await runPlan({
      helm,
      gitopsDir,
      baseDir: base?.baseDir,
      regions: inputs.region.kind === 'list' ? inputs.region.regions : inputs.region.kind,
      changedFiles: base?.changedFiles,
      gitopsPath: base?.gitopsPath,
      headSha,
      baseRef,
      aws,
      offlineReason,
      logger,
    });

    const url = runUrl(ctx);
    const full = renderPlanMarkdown(report, { budget: SUMMARY_BUDGET, marker: COMMENT_MARKER, runUrl: url });
    const markdownFile = writeReportFile(ctx.tempDir, 'plan.md', full.markdown);
    const reportFile = writeReportFile(ctx.tempDir, 'plan-report.json', report);
    await core.summary.addRaw(full.markdown, true).write();

    if (inputs.comment && ctx.pullRequest && ctx.repository) {
      const comment = renderPlanMarkdown(report, {
        budget: COMMENT_BUDGET,
        marker: COMMENT_MARKER,
        runUrl: url,
      });
      if (comment.truncated)
        logger.info(`the comment left out ${comment.omitted.length} parts: they are in the job summary`);
      try {
        // upsertStickyComment logs the outcome: the comment's URL, or why a read-only token was refused.
        await upsertStickyComment(createOctokit(inputs.githubToken, ctx.apiUrl), {
          ...ctx.repository,
          issueNumber: ctx.pullRequest.number,
          marker: COMMENT_MARKER,
          body: comment.markdown,
          author: inputs.markerAuthor,
          logger,
        });
      } catch (err) {
        logger.warn(`could not post the plan comment (${errorMessage(err)}): the plan is in the job summary`);
      }
    }

    core.setOutput(OUTPUTS.hasChanges, String(report.hasChanges));
    core.setOutput(OUTPUTS.regions, JSON.stringify(report.regions.map((r) => r.region)));
    core.setOutput(OUTPUTS.risk, report.risk);
    core.setOutput(OUTPUTS.reportFile, reportFile);
    core.setOutput(OUTPUTS.markdownFile, markdownFile);
    for (const e of report.errors)
      logger.error(e.message, { file: e.file, line: e.line, title: 'coder-gitops plan' });
    if (report.errors.length) {
      core.setFailed(
        `plan-region failed: ${report.errors.length} problem(s) left the plan incomplete; the first: ${report.errors[0]!.message}`,
      );
    }
  } catch (err) {
    await leaveFailureReport('plan-region', 'plan-report.json', errorMessage(err));
    core.setFailed(`plan-region failed: ${errorMessage(err)}`);
  }
}
