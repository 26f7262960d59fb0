import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwsClientFactory } from '../src/aws/client-factory.js';
import { loadValidatedGitops } from '../src/gitops/validate-gitops.js';
import { runPlan } from '../src/plan/plan-engine.js';
import type { PlanReport } from '../src/plan/plan-types.js';
import { MemoryLogger } from '../src/util/logger.js';
import { REPO_ROOT } from '../test/helpers/run-action.js';
import { startBenchAws, type BenchAws } from './moto-env.js';
import { formatMs, median, timeSpawn, type BenchRow } from './stats.js';

const BASELINE = fileURLToPath(new URL('./baseline-plan.sh', import.meta.url));
export const HEAD_SHA = '5eed0000000000000000000000000000000000b1';

/** One online plan of `regions` with a fresh factory; throws when the plan reports errors. */
export async function planOnce(gitopsDir: string, regions: string[]): Promise<PlanReport> {
  const report = await runPlan({
    gitopsDir,
    regions,
    account: 'never',
    headSha: HEAD_SHA,
    baseRef: 'main',
    aws: new AwsClientFactory(),
    logger: new MemoryLogger(),
  });
  if (report.errors.length)
    throw new Error(`plan reported errors: ${report.errors.map((e) => e.message).join('; ')}`);
  return report;
}

/** `CreateChangeSet 5, DescribeChangeSet 10` from the proxy's per-operation counts. */
export function describeCalls(calls: Map<string, number>): string {
  return [...calls]
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op.split('.').pop()} ${n}`)
    .join(', ');
}

/** The baseline's input: the stacks the plan could create change sets for, with the same parameters. */
function writeBaselineInput(
  report: PlanReport,
  gitopsDir: string,
  dir: string,
): { file: string; stacks: number } {
  const lines: string[] = [];
  for (const region of report.regions) {
    for (const s of region.stacks) {
      if (!s.changeSetName) continue;
      const params = join(dir, `${s.stackName}.json`);
      writeFileSync(
        params,
        JSON.stringify(s.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.after ?? '' }))),
      );
      lines.push(
        [
          s.deployRegion,
          s.stackName,
          `cli-${s.stackName}`,
          join(gitopsDir, 'stacks', `${s.template}.yaml`),
          params,
        ].join(' '),
      );
    }
  }
  const file = join(dir, 'stacks.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, stacks: lines.length };
}

/** (1) Plan every enabled region of gitops/ against moto: runPlan vs the AWS CLI stack by stack. */
export async function benchPlan(runs: number): Promise<BenchRow[]> {
  const gitopsDir = join(REPO_ROOT, 'gitops');
  const config = await loadValidatedGitops(gitopsDir);
  const regions = config.regions.filter((r) => r.enabled).map((r) => r.name);
  const dir = mkdtempSync(join(tmpdir(), 'cg-bench-plan-'));
  let aws: BenchAws | undefined;
  try {
    aws = await startBenchAws(config.platform.accountId);
    const ours: number[] = [];
    const theirs: number[] = [];
    let ourCalls = 0;
    let theirCalls = 0;
    let ourOps = '';
    let theirOps = '';
    let baselineInput: { file: string; stacks: number } | undefined;
    let changeSets = 0;
    for (let i = 0; i <= runs; i++) {
      await aws.reset();
      const t0 = performance.now();
      const report = await planOnce(gitopsDir, regions);
      const t = performance.now() - t0;
      ourCalls = aws.proxy.total();
      ourOps = describeCalls(aws.proxy.calls());
      baselineInput ??= writeBaselineInput(report, gitopsDir, dir);
      changeSets = report.regions.flatMap((r) => r.stacks).filter((s) => s.changeSetName).length;

      await aws.reset();
      const cli = await timeSpawn('bash', [BASELINE, baselineInput.file], {
        env: aws.env,
        timeoutMs: 600_000,
      });
      if (cli.code !== 0) throw new Error(`baseline script failed: ${cli.stderr.trim().slice(-500)}`);
      theirCalls = aws.proxy.total();
      theirOps = describeCalls(aws.proxy.calls());
      if (i > 0) {
        ours.push(t);
        theirs.push(cli.exitMs);
      }
    }
    const a = median(ours);
    const b = median(theirs);
    return [
      {
        section: '1',
        what: `plan ${regions.join(', ')} against moto: wall time`,
        ours: formatMs(a),
        baseline: `${formatMs(b)} (AWS CLI v1 script)`,
        ratio: a / b,
        note: `${changeSets} change sets each (fresh account: stacks fed by outputs not yet deployed are planned offline by us, skipped by the script); ours also diffs templates, Flux, DNS, cluster-vars`,
      },
      {
        section: '1',
        what: 'plan: AWS API calls',
        ours: String(ourCalls),
        baseline: `${theirCalls} (AWS CLI v1 script)`,
        ratio: ourCalls / theirCalls,
        note: `counted by the fault proxy (0 faults), polls and retries included. ours: ${ourOps}; script: ${theirOps}`,
      },
    ];
  } finally {
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
