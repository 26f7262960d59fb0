import { InputError } from '../util/errors.js';

/*
 * A hidden marker says which comment or issue is ours; anyone can write one, so the marker alone is no
 * proof. The author's login is: only the token's identity can post as it. The workflow token
 * (GITHUB_TOKEN) cannot ask who it is (GET /user answers 403 "Resource not accessible by integration"),
 * so the login is configured: `github-actions[bot]` for that token, the app's `<slug>[bot]` or a user for
 * another one. What this cannot tell apart is every job holding that identity: the jobs of a pull
 * request from a branch of this repository write as github-actions[bot] too (README, "Threat model").
 */

/** The login GitHub shows for comments and issues written with a workflow's GITHUB_TOKEN. */
export const GITHUB_ACTIONS_LOGIN = 'github-actions[bot]';

/** What the REST API says of who wrote a comment or an issue. */
export interface Authored {
  user?: { login?: string | null } | null;
}

/** True when `item` was written by `login` (GitHub logins are case-insensitive). */
export function isWrittenBy(item: Authored, login: string): boolean {
  const by = item.user?.login;
  return typeof by === 'string' && by.toLowerCase() === login.trim().toLowerCase();
}

// GitHub logins: letters, digits and single hyphens (at most 39); apps add `[bot]`.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(\[bot\])?$/;

/** The `marker-author` input: a GitHub login, default github-actions[bot]. */
export function parseLoginInput(name: string, raw: string): string {
  const v = raw.trim();
  if (v === '') return GITHUB_ACTIONS_LOGIN;
  if (!LOGIN.test(v)) {
    throw new InputError(
      name,
      `'${v}' is not a GitHub login: use e.g. github-actions[bot], my-app[bot] or octocat`,
    );
  }
  return v;
}
