/**
 * The repository's OIDC subject template: which claims GitHub puts into `sub`, in order. The trust
 * policies in `gitops/stacks/github-oidc.yaml` are written against exactly this template, and
 * `coder-gitops doctor` checks that the repository is set to it.
 *
 * GitHub's default subject (`repo:o/r:environment:production`) names no branch, so any branch's job
 * that declares `environment: production` would match a trust written for it. With `ref` and
 * `job_workflow_ref` in the subject, a trust names the branch and the workflow file too.
 * (docs.github.com: "Customizing the subject claims for an organization or repository"; the
 * REST endpoint `PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`.)
 */
export const SUBJECT_CLAIM_KEYS = ['repo', 'context', 'ref', 'job_workflow_ref'] as const;

/** What a job's `context` claim part is: a pull request, a deployment environment, or a plain ref. */
export type JobContext = { kind: 'pull_request' } | { kind: 'environment'; name: string } | { kind: 'ref' };

/** The claims that make up a job's subject under {@link SUBJECT_CLAIM_KEYS}. */
export interface SubjectClaims {
  /** owner/name */
  repository: string;
  context: JobContext;
  /** `refs/heads/main`, `refs/pull/12/merge` */
  ref: string;
  /** `.github/workflows/deploy.yml` (inside `repository`) */
  workflowPath: string;
}

/** The `sub` GitHub issues for a job under the template (e.g. `repo:o/r:environment:production:ref:…`). */
export function subjectFor(claims: SubjectClaims): string {
  const context =
    claims.context.kind === 'pull_request'
      ? 'pull_request'
      : claims.context.kind === 'environment'
        ? `environment:${claims.context.name}`
        : `ref:${claims.ref}`;
  return [
    `repo:${claims.repository}`,
    context,
    `ref:${claims.ref}`,
    `job_workflow_ref:${claims.repository}/${claims.workflowPath}@${claims.ref}`,
  ].join(':');
}

/** The `sub` GitHub issues with its default template (no customization), for comparison. */
export function defaultSubjectFor(claims: SubjectClaims): string {
  const context =
    claims.context.kind === 'pull_request'
      ? 'pull_request'
      : claims.context.kind === 'environment'
        ? `environment:${claims.context.name}`
        : `ref:${claims.ref}`;
  return `repo:${claims.repository}:${context}`;
}
