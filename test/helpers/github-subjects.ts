import { subjectFor } from '../../src/github/oidc-subject.js';

/**
 * The OIDC `sub` GitHub issues each workflow job under the repository's subject template
 * (src/github/oidc-subject.ts): what the trust policies of github-oidc.yaml are written against.
 */
export function githubSubjects(repository: string) {
  const main = 'refs/heads/main';
  const onMain = (file: string, environment?: string) =>
    subjectFor({
      repository,
      context: environment ? { kind: 'environment', name: environment } : { kind: 'ref' },
      ref: main,
      workflowPath: `.github/workflows/${file}`,
    });
  return {
    /** plan.yml on pull request 1 */
    pullRequest: subjectFor({
      repository,
      context: { kind: 'pull_request' },
      ref: 'refs/pull/1/merge',
      workflowPath: '.github/workflows/plan.yml',
    }),
    /** rollout.yml's plan and verify jobs (workflow_dispatch on main; one workflow, one subject) */
    rolloutPlan: onMain('rollout.yml'),
    rolloutVerify: onMain('rollout.yml'),
    /** deploy.yml's and rollout.yml's apply jobs (environment production) */
    deployApply: onMain('deploy.yml', 'production'),
    rolloutApply: onMain('rollout.yml', 'production'),
    /** deploy.yml's verify job, synthetics.yml */
    deployVerify: onMain('deploy.yml'),
    synthetics: onMain('synthetics.yml'),
    /** deploy.yml's apply job as if run from another branch */
    deployApplyOnFeature: subjectFor({
      repository,
      context: { kind: 'environment', name: 'production' },
      ref: 'refs/heads/feature',
      workflowPath: '.github/workflows/deploy.yml',
    }),
  };
}
