import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkoutBase } from '../../src/plan/base-checkout.js';
import { changedFiles } from '../../src/gitops/changed-regions.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport } from '../../src/plan/plan-types.js';
import { InputError } from '../../src/util/errors.js';
import { MemoryLogger } from '../../src/util/logger.js';

const GITOPS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../gitops');

let repo: string;
let tmp: string;
let baseSha: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
}

function edit(rel: string, from: string, to: string): void {
  const file = path.join(repo, 'gitops', rel);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} does not contain ${from}`);
  writeFileSync(file, text.replace(from, to));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'plan-offline-'));
  repo = path.join(tmp, 'repo');
  cpSync(GITOPS, path.join(repo, 'gitops'), { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'base');
  baseSha = git('rev-parse', 'HEAD');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function planHead(work: string): Promise<PlanReport> {
  const head = git('rev-parse', 'HEAD');
  const baseDir = await checkoutBase(repo, baseSha, path.join(tmp, work), 'gitops');
  return runPlan({
    gitopsDir: path.join(repo, 'gitops'),
    baseDir,
    regions: 'changed',
    changedFiles: await changedFiles(repo, baseSha, head),
    gitopsPath: 'gitops',
    headSha: head,
    baseRef: baseSha,
    offlineReason: 'pull request from a fork',
    logger: new MemoryLogger(),
  });
}

describe('offline plan of a pull request (base checkout → head)', () => {
  it('checkoutBase extracts the base revision of gitops/ without touching the work tree', async () => {
    writeFileSync(path.join(repo, 'gitops', 'platform.yaml'), 'uncommitted: true\n');
    const baseDir = await checkoutBase(repo, baseSha, path.join(tmp, 'base0'));
    expect(readFileSync(path.join(baseDir, 'platform.yaml'), 'utf8')).toContain('project: coderdemo');
    git('checkout', '--', 'gitops/platform.yaml');
    await expect(checkoutBase(repo, 'no-such-ref', path.join(tmp, 'bad'))).rejects.toThrow(InputError);
  });

  it('nothing changed: no regions, no changes, risk none', async () => {
    const report = await planHead('base1');
    expect(report).toMatchObject({
      mode: 'offline',
      regions: [],
      account: [],
      hasChanges: false,
      risk: 'none',
      errors: [],
    });
  });

  it('an Aurora replacement and a broadened github-oidc policy are high; only the hub and the account are planned', async () => {
    edit('stacks/aurora.yaml', 'StorageEncrypted: true', 'StorageEncrypted: false');
    edit('stacks/github-oidc.yaml', 'Action: secretsmanager:GetSecretValue', 'Action: "secretsmanager:*"');
    git('commit', '-qam', 'head');
    const report = await planHead('base2');
    expect(report.errors).toEqual([]);
    expect(report.regions.map((r) => r.region)).toEqual(['us-east-2']);
    expect(report.account.map((s) => s.stackName)).toEqual(['coderdemo-us-east-2-github-oidc']);
    expect(report.risk).toBe('high');

    const oidc = report.account[0]!;
    expect(oidc.status).toBe('offline');
    expect(oidc.findings.map((f) => f.rule)).toContain('iam-broadening');
    expect(oidc.iam?.added.join('\n')).toContain('secretsmanager:*');

    const aurora = report.regions[0]!.stacks.find((s) => s.stack === 'aurora')!;
    expect(aurora.findings).toContainEqual(
      expect.objectContaining({
        rule: 'stateful-replacement',
        level: 'high',
        subject: 'coderdemo-us-east-2-aurora/Cluster',
      }),
    );
    expect(aurora.templateDiff).toContain('StorageEncrypted (requires replacement)');
    // Unchanged stacks of the region show no changes offline.
    const network = report.regions[0]!.stacks.find((s) => s.stack === 'network')!;
    expect(network.changes).toEqual([]);
    expect(network.risk).toBe('none');
    // Findings come highest first.
    expect(report.findings[0]!.level).toBe('high');
  });

  it('an invalid configuration fails with the file and line, and plans nothing', async () => {
    edit('regions/us-west-2.yaml', 'wave: 2', 'wave: second');
    try {
      const report = await planHead('base3');
      expect(report.regions).toEqual([]);
      expect(report.errors.length).toBeGreaterThan(0);
      expect(report.errors[0]).toMatchObject({
        file: 'gitops/regions/us-west-2.yaml',
        line: expect.any(Number),
      });
    } finally {
      git('checkout', '--', 'gitops/regions/us-west-2.yaml');
    }
  });

  it('an unknown region name is an error naming the configured ones', async () => {
    const report = await runPlan({
      gitopsDir: path.join(repo, 'gitops'),
      regions: ['us-west-2', 'mars-north-1'],
      headSha: 'x',
      baseRef: 'y',
      logger: new MemoryLogger(),
    });
    expect(report.errors).toEqual([
      {
        message:
          "region 'mars-north-1' is not configured: expected one of us-east-2, us-west-2, eu-west-2 (or all, changed)",
      },
    ]);
    expect(report.regions.map((r) => r.region)).toEqual(['us-west-2']);
  });
});
