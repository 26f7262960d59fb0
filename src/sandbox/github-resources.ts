/**
 * GitHub REST resources as api.github.com answers them (the `simple-user`, `issue-comment`, `issue`,
 * `pull-request-simple` and `repository` schemas of GitHub's OpenAPI description), built from the
 * stand-in's records. The stand-in's answers carry every field those schemas require, so Octokit and
 * our code see the real shapes; the conformance test checks them against `@octokit/openapi`.
 */
const API = 'https://api.github.example';
const WEB = 'https://github.example';
const STAMP = '2026-11-01T00:00:00Z';

function loginId(login: string): number {
  return [...login].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7);
}

/** A `simple-user`; its id is derived from the login (stable across runs). */
export function simpleUser(login: string, type?: 'Bot' | 'User'): Record<string, unknown> {
  const id = loginId(login);
  const url = `${API}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.github.example/u/${id}`,
    gravatar_id: '',
    url,
    // A bot's page is its app's (https://github.com/apps/github-actions for github-actions[bot]).
    html_url: login.endsWith('[bot]') ? `${WEB}/apps/${login.slice(0, -5)}` : `${WEB}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: type ?? (login.endsWith('[bot]') ? 'Bot' : 'User'),
    site_admin: false,
  };
}

const REPO_URLS = [
  'archive_url:/{archive_format}{/ref}',
  'assignees_url:/assignees{/user}',
  'blobs_url:/git/blobs{/sha}',
  'branches_url:/branches{/branch}',
  'collaborators_url:/collaborators{/collaborator}',
  'comments_url:/comments{/number}',
  'commits_url:/commits{/sha}',
  'compare_url:/compare/{base}...{head}',
  'contents_url:/contents/{+path}',
  'contributors_url:/contributors',
  'deployments_url:/deployments',
  'downloads_url:/downloads',
  'events_url:/events',
  'forks_url:/forks',
  'git_commits_url:/git/commits{/sha}',
  'git_refs_url:/git/refs{/sha}',
  'git_tags_url:/git/tags{/sha}',
  'hooks_url:/hooks',
  'issue_comment_url:/issues/comments{/number}',
  'issue_events_url:/issues/events{/number}',
  'issues_url:/issues{/number}',
  'keys_url:/keys{/key_id}',
  'labels_url:/labels{/name}',
  'languages_url:/languages',
  'merges_url:/merges',
  'milestones_url:/milestones{/number}',
  'notifications_url:/notifications{?since,all,participating}',
  'pulls_url:/pulls{/number}',
  'releases_url:/releases{/id}',
  'stargazers_url:/stargazers',
  'statuses_url:/statuses/{sha}',
  'subscribers_url:/subscribers',
  'subscription_url:/subscription',
  'tags_url:/tags',
  'teams_url:/teams',
  'trees_url:/git/trees{/sha}',
];

/** A `repository` (owner/name). */
export function repositoryResource(fullName: string): Record<string, unknown> {
  const [owner = '', name = ''] = fullName.split('/');
  const url = `${API}/repos/${fullName}`;
  const id = loginId(fullName);
  const urls = Object.fromEntries(
    REPO_URLS.map((entry) => {
      const i = entry.indexOf(':');
      return [entry.slice(0, i), `${url}${entry.slice(i + 1)}`];
    }),
  );
  return {
    id,
    node_id: `R_${id}`,
    name,
    full_name: fullName,
    owner: simpleUser(owner, 'User'),
    private: true,
    html_url: `${WEB}/${fullName}`,
    description: null,
    fork: false,
    url,
    ...urls,
    clone_url: `${WEB}/${fullName}.git`,
    git_url: `git://github.example/${fullName}.git`,
    ssh_url: `git@github.example:${fullName}.git`,
    svn_url: `${WEB}/${fullName}`,
    mirror_url: null,
    homepage: null,
    language: 'TypeScript',
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: 'main',
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: STAMP,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

/** An `issue-comment`. */
export function commentResource(
  fullName: string,
  c: {
    id: number;
    issue: number;
    body: string;
    user: { login: string; type: 'Bot' | 'User' };
    created_at: string;
    updated_at: string;
  },
): Record<string, unknown> {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${API}/repos/${fullName}/issues/comments/${c.id}`,
    html_url: `${WEB}/${fullName}/issues/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${API}/repos/${fullName}/issues/${c.issue}`,
    body: c.body,
    user: simpleUser(c.user.login, c.user.type),
    author_association: c.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/** An `issue` (labels as label objects). */
export function issueResource(
  fullName: string,
  i: {
    number: number;
    title: string;
    body: string;
    user: { login: string; type: 'Bot' | 'User' };
    state: 'open' | 'closed';
    labels: string[];
    created_at: string;
    closed_at: string | null;
    pull_request?: boolean;
  },
  commentCount: number,
): Record<string, unknown> {
  const url = `${API}/repos/${fullName}/issues/${i.number}`;
  return {
    id: 7000 + i.number,
    node_id: `I_${i.number}`,
    url,
    repository_url: `${API}/repos/${fullName}`,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${WEB}/${fullName}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    title: i.title,
    body: i.body,
    user: simpleUser(i.user.login, i.user.type),
    labels: i.labels.map((name, n) => ({
      id: loginId(name) + n,
      node_id: `LA_${loginId(name)}`,
      url: `${API}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
      name,
      description: null,
      color: 'd73a4a',
      default: false,
    })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: commentCount,
    closed_at: i.closed_at,
    created_at: i.created_at,
    updated_at: i.closed_at ?? i.created_at,
    author_association: i.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    ...(i.pull_request
      ? {
          pull_request: {
            url: `${API}/repos/${fullName}/pulls/${i.number}`,
            html_url: null,
            diff_url: null,
            patch_url: null,
          },
        }
      : {}),
  };
}

/** A `pull-request-simple` as the commits API lists it for a commit. */
export function pullResource(
  fullName: string,
  commitSha: string,
  p: {
    number: number;
    state: string;
    merged_at: string | null;
    head: { sha: string };
    base: { ref: string };
  },
): Record<string, unknown> {
  const url = `${API}/repos/${fullName}/pulls/${p.number}`;
  const issueUrl = `${API}/repos/${fullName}/issues/${p.number}`;
  const repo = repositoryResource(fullName);
  const owner = simpleUser(fullName.split('/')[0] ?? '', 'User');
  const ref = (r: string, sha: string) => ({
    label: `${fullName.split('/')[0]}:${r}`,
    ref: r,
    sha,
    repo,
    user: owner,
  });
  return {
    url,
    id: 9000 + p.number,
    node_id: `PR_${p.number}`,
    html_url: `${WEB}/${fullName}/pull/${p.number}`,
    diff_url: `${WEB}/${fullName}/pull/${p.number}.diff`,
    patch_url: `${WEB}/${fullName}/pull/${p.number}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${API}/repos/${fullName}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${API}/repos/${fullName}/statuses/${p.head.sha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: `pull request ${p.number}`,
    user: simpleUser('contributor', 'User'),
    body: null,
    labels: [],
    milestone: null,
    created_at: STAMP,
    updated_at: p.merged_at ?? STAMP,
    closed_at: p.merged_at,
    merged_at: p.merged_at,
    merge_commit_sha: p.merged_at ? commitSha : null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: ref(`pr-${p.number}`, p.head.sha),
    base: ref(p.base.ref, p.head.sha),
    _links: Object.fromEntries(
      [
        ['self', url],
        ['html', `${WEB}/${fullName}/pull/${p.number}`],
        ['issue', issueUrl],
        ['comments', `${issueUrl}/comments`],
        ['review_comments', `${url}/comments`],
        ['review_comment', `${API}/repos/${fullName}/pulls/comments{/number}`],
        ['commits', `${url}/commits`],
        ['statuses', `${API}/repos/${fullName}/statuses/${p.head.sha}`],
      ].map(([k, href]) => [k, { href }]),
    ),
    author_association: 'CONTRIBUTOR',
    auto_merge: null,
    draft: false,
  };
}
