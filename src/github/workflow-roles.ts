import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { JobContext } from './oidc-subject.js';

/** The workflow roles, by the repository variable that carries each one's ARN. */
export const ROLE_VARIABLES = {
  AWS_PLAN_ROLE_ARN: 'PlanRole',
  AWS_DEPLOY_ROLE_ARN: 'DeployRole',
  AWS_VERIFY_ROLE_ARN: 'VerifyRole',
} as const;
export type RoleLogicalId = (typeof ROLE_VARIABLES)[keyof typeof ROLE_VARIABLES];

/** One job that assumes a workflow role, and the contexts GitHub runs it in. */
export interface RoleJob {
  /** `.github/workflows/deploy.yml` */
  workflowPath: string;
  job: string;
  role: RoleLogicalId;
  /** pull requests (ref `refs/pull/<n>/merge`) or the default branch, in the job's environment if any. */
  runsOn: { context: JobContext; onPullRequest: boolean }[];
}

/**
 * Every job in `.github/workflows` that assumes a role (a step's `role-to-assume` naming one of
 * {@link ROLE_VARIABLES}), with the contexts its triggers give it: `pull_request` jobs run on the pull
 * request's merge ref, everything else (push, schedule, workflow_dispatch) on the default branch.
 */
export async function readRoleJobs(repoDir: string): Promise<RoleJob[]> {
  const dir = join(repoDir, '.github', 'workflows');
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const jobs: RoleJob[] = [];
  for (const file of files) {
    const workflowPath = `.github/workflows/${file}`;
    const doc = (load(await readFile(join(dir, file), 'utf8')) ?? {}) as {
      on?: unknown;
      jobs?: Record<string, { environment?: unknown; steps?: { with?: Record<string, unknown> }[] }>;
    };
    const triggers =
      typeof doc.on === 'string'
        ? [doc.on]
        : Array.isArray(doc.on)
          ? doc.on.map(String)
          : Object.keys(doc.on ?? {});
    for (const [job, spec] of Object.entries(doc.jobs ?? {})) {
      const roles = new Set<RoleLogicalId>();
      for (const step of spec.steps ?? []) {
        const value = String(step.with?.['role-to-assume'] ?? '');
        for (const [variable, role] of Object.entries(ROLE_VARIABLES)) {
          if (value.includes(`vars.${variable}`)) roles.add(role);
        }
      }
      const env = spec.environment;
      const envName =
        typeof env === 'string'
          ? env
          : typeof env === 'object' && env
            ? String((env as { name?: unknown }).name)
            : '';
      const branchContext: JobContext = envName ? { kind: 'environment', name: envName } : { kind: 'ref' };
      const runsOn: RoleJob['runsOn'] = [];
      if (triggers.includes('pull_request')) {
        runsOn.push({ context: envName ? branchContext : { kind: 'pull_request' }, onPullRequest: true });
      }
      if (triggers.some((t) => t !== 'pull_request'))
        runsOn.push({ context: branchContext, onPullRequest: false });
      for (const role of roles) jobs.push({ workflowPath, job, role, runsOn });
    }
  }
  return jobs;
}

/**
 * The status checks a change to the default branch must pass: every job of `ci.yml` and the plan job
 * of `plan.yml`, by the name GitHub gives their check (the job's `name`, else its id).
 */
export async function readRequiredCheckNames(repoDir: string): Promise<string[]> {
  const names: string[] = [];
  for (const [file, only] of [
    ['ci.yml', undefined],
    ['plan.yml', 'plan'],
  ] as const) {
    const doc = (load(await readFile(join(repoDir, '.github', 'workflows', file), 'utf8')) ?? {}) as {
      jobs?: Record<string, { name?: unknown }>;
    };
    for (const [id, job] of Object.entries(doc.jobs ?? {})) {
      if (only && id !== only) continue;
      names.push(typeof job.name === 'string' ? job.name : id);
    }
  }
  return names;
}
