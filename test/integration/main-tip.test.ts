import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkMainTip, reviewedHeadOf } from '../../src/cli/git-head.js';

// `apply --account`'s two git decisions, on real repositories: is the checkout the tip of main, and
// whose plan is the reference (a merge commit's second parent, else the commit itself).

let tmp: string;
let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  writeFileSync(path.join(repo, file), text);
};

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'main-tip-'));
  repo = path.join(tmp, 'repo');
  mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  write('gitops/platform.yaml', 'project: x\n');
  git('add', '.');
  git('commit', '-qm', 'one');
  execFileSync('git', ['clone', '-q', '--bare', repo, path.join(tmp, 'origin.git')]);
  git('remote', 'add', 'origin', path.join(tmp, 'origin.git'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('checkMainTip', () => {
  const gitops = () => path.join(repo, 'gitops');

  test('HEAD equal to origin/main just fetched, gitops/ clean: ok, and says how it knows', async () => {
    const tip = await checkMainTip(repo, 'main', gitops());
    expect(tip).toEqual({
      ok: true,
      sha: git('rev-parse', 'HEAD'),
      how: `HEAD equals origin/main just fetched, and ${gitops()} is clean`,
    });
  });

  test('a file changed outside gitops/ does not matter; one inside does', async () => {
    write('README.md', 'notes\n');
    expect((await checkMainTip(repo, 'main', gitops())).ok).toBe(true);
    write('gitops/platform.yaml', 'project: y\n');
    const tip = await checkMainTip(repo, 'main', gitops());
    expect(tip).toEqual({
      ok: false,
      reason: `uncommitted changes under ${gitops()} (M gitops/platform.yaml): only main's committed content is applied`,
    });
    git('checkout', '-q', '--', 'gitops');
    rmSync(path.join(repo, 'README.md'));
  });

  test('a local commit ahead of origin/main is refused until it is pushed', async () => {
    write('gitops/regions.yaml', 'a: 1\n');
    git('add', '.');
    git('commit', '-qm', 'local');
    const tip = await checkMainTip(repo, 'main', gitops());
    expect(tip.ok).toBe(false);
    expect(!tip.ok && tip.reason).toMatch(
      /^HEAD \w{12} is not the tip of origin\/main \(\w{12}\): check out and pull main, then re-run$/,
    );
    git('push', '-q', 'origin', 'main');
    expect((await checkMainTip(repo, 'main', gitops())).ok).toBe(true);
  });

  test('without a remote to fetch from it is refused with what failed', async () => {
    const tip = await checkMainTip(repo, 'no-such-branch', gitops());
    expect(!tip.ok && tip.reason).toMatch(
      /^could not fetch origin no-such-branch to compare with \(git fetch/,
    );
  });

  test('outside a git checkout it is refused', async () => {
    const tip = await checkMainTip(tmp, 'main', tmp);
    expect(tip).toEqual({ ok: false, reason: `${tmp} is not a git checkout` });
  });
});

describe('reviewedHeadOf', () => {
  test("a merge commit's reference is the merged branch's head; a plain commit's is itself", async () => {
    git('checkout', '-q', '-b', 'change');
    write('gitops/regions.yaml', 'a: 2\n');
    git('commit', '-qam', 'change');
    const branchHead = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    git('merge', '-q', '--no-ff', '-m', 'Merge pull request #1', 'change');
    const merge = git('rev-parse', 'HEAD');
    expect((await reviewedHeadOf(repo, merge)).sha).toBe(branchHead);
    expect((await reviewedHeadOf(repo, branchHead)).sha).toBe(branchHead);
    expect((await reviewedHeadOf(repo, branchHead)).how).toMatch(/not a merge commit/);
  });
});
