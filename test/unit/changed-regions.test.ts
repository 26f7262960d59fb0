import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changedFiles, regionsTouched } from '../../src/gitops/changed-regions.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../src/gitops/types.js';

describe('regionsTouched', () => {
  let config: GitopsConfig;
  beforeAll(async () => {
    config = await loadGitops(path.resolve('test/fixtures/gitops-valid/gitops'));
  });

  it.each<[string, string[], string[], boolean]>([
    ['a region file', ['gitops/regions/us-west-2.yaml'], ['us-west-2'], false],
    ['a cluster folder', ['gitops/clusters/us-east-2/apps.yaml'], ['us-east-2'], false],
    ['a template one region uses', ['gitops/stacks/aurora.yaml'], ['us-east-2'], false],
    ['a template every region uses', ['gitops/stacks/network.yaml'], ['us-east-2', 'us-west-2'], false],
    [
      'a template named differently from its stack',
      ['gitops/stacks/peering-routes.yaml'],
      ['us-west-2'],
      false,
    ],
    ['the account template', ['gitops/stacks/github-oidc.yaml'], [], true],
    [
      'a shared controller',
      ['gitops/infrastructure/controllers/karpenter.yaml'],
      ['us-east-2', 'us-west-2'],
      false,
    ],
    [
      'a new controller file (generated kustomization)',
      ['gitops/infrastructure/controllers/new.yaml'],
      ['us-east-2', 'us-west-2'],
      false,
    ],
    ['an app only one region deploys', ['gitops/apps/base/coder/release.yaml'], ['us-east-2'], false],
    [
      "an app overlay's kustomization.yaml",
      ['gitops/apps/us-east-2/kustomization.yaml'],
      ['us-east-2'],
      false,
    ],
    ['.sourceignore (what Flux sees)', ['gitops/.sourceignore'], ['us-east-2', 'us-west-2'], false],
    ['platform.yaml', ['gitops/platform.yaml'], ['us-east-2', 'us-west-2'], true],
    ['files outside gitops/', ['README.md', 'src/plan/x.ts'], [], false],
    ['an unknown region folder', ['gitops/clusters/ap-south-1/apps.yaml'], [], false],
  ])('%s', (_what, files, regions, account) => {
    const t = regionsTouched(files, config, 'gitops');
    expect(t.regions).toEqual(regions);
    expect(t.account).toBe(account);
    for (const r of regions) expect(t.reasons[r]).toEqual(files);
  });

  it('accepts ./gitops/ as the folder name', () => {
    expect(regionsTouched(['gitops/regions/us-east-2.yaml'], config, './gitops/').regions).toEqual([
      'us-east-2',
    ]);
    // A repository whose root is the gitops folder.
    expect(regionsTouched(['regions/us-east-2.yaml'], config, '.').regions).toEqual(['us-east-2']);
    expect(regionsTouched(['regions/us-east-2.yaml'], config, '').regions).toEqual(['us-east-2']);
  });
});

describe('changedFiles', () => {
  it('lists files changed on the branch since the merge base, both names of a rename', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'changed-'));
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: dir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
        },
      });
    git('init', '-q', '-b', 'main');
    writeFileSync(path.join(dir, 'a.yaml'), 'a: 1\n');
    writeFileSync(path.join(dir, 'b.yaml'), 'b: 1\n');
    git('add', '.');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'feature');
    writeFileSync(path.join(dir, 'a.yaml'), 'a: 2\n');
    git('mv', 'b.yaml', 'c.yaml');
    git('commit', '-qam', 'head');
    git('checkout', '-q', 'main');
    writeFileSync(path.join(dir, 'main-only.yaml'), 'x: 1\n');
    git('add', '.');
    git('commit', '-qm', 'later on main');
    expect((await changedFiles(dir, 'main', 'feature')).sort()).toEqual(['a.yaml', 'b.yaml', 'c.yaml']);
    await expect(changedFiles(dir, 'no-such-ref')).rejects.toThrow(
      /input 'base-ref': could not compare no-such-ref\.\.\.HEAD/,
    );
    await expect(changedFiles(dir, '--output=/tmp/x')).rejects.toThrow(/not a git revision/);
    rmSync(dir, { recursive: true, force: true });
  });
});
