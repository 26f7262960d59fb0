import type { Octokit } from '@octokit/rest';
import { findMergedPullRequest } from '../../../src/github/associated-pull.js';

function octokit(pulls: unknown[], calls: unknown[] = []): Octokit {
  const list = async () => ({ data: pulls });
  return {
    rest: { repos: { listPullRequestsAssociatedWithCommit: list } },
    paginate: async (_fn: unknown, params: unknown) => {
      calls.push(params);
      return pulls;
    },
  } as unknown as Octokit;
}

const pr = (number: number, merge: string | null, mergedAt: string | null, head: string) => ({
  number,
  merge_commit_sha: merge,
  merged_at: mergedAt,
  head: { sha: head },
  title: `PR ${number}`,
  html_url: `https://github.example/o/r/pull/${number}`,
});

test('the pull request whose merge commit is the pushed sha wins, and its head is what was reviewed', async () => {
  const calls: unknown[] = [];
  const found = await findMergedPullRequest(
    octokit(
      [
        pr(3, 'other', '2026-11-29T10:00:00Z', 'h3'),
        pr(5, 'abc', '2026-11-28T10:00:00Z', 'h5'),
        pr(9, null, null, 'h9'),
      ],
      calls,
    ),
    { owner: 'o', repo: 'r', sha: 'abc' },
  );
  expect(found).toMatchObject({ number: 5, headSha: 'h5' });
  expect(calls[0]).toMatchObject({ owner: 'o', repo: 'r', commit_sha: 'abc' });
});

test('a direct push (no merged pull request) has none', async () => {
  expect(
    await findMergedPullRequest(octokit([pr(9, null, null, 'h9')]), { owner: 'o', repo: 'r', sha: 'abc' }),
  ).toBeUndefined();
});
