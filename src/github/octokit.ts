import { Octokit } from '@octokit/rest';

/** An Octokit for the run's GitHub API (`GITHUB_API_URL`, a local stand-in in tests and the sandbox). */
export function createOctokit(token: string | undefined, baseUrl: string): Octokit {
  return new Octokit({
    auth: token || undefined,
    baseUrl,
    userAgent: 'coder-gitops',
    request: { retries: 0 },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}
