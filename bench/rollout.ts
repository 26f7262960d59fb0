import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANGE_SET_CREATE } from '../src/aws/timing-model.js';
import { parseTemplate } from '../src/gitops/cfn-yaml.js';
import { loadGitops } from '../src/gitops/load-gitops.js';
import type { PlanReport } from '../src/plan/plan-types.js';
import { REPO_ROOT } from '../test/helpers/run-action.js';
import { generateGitops } from './growth.js';
import {
  applyModeled,
  loadForRun,
  modeledFirstRollout,
  planModeled,
  startModelAws,
  type ModelAws,
} from './model-env.js';
import { describeCalls } from './plan.js';
import { formatMs, median, timeSpawn, type BenchRow } from './stats.js';

const BASELINE_PR = fileURLToPath(new URL('./baseline-pr.sh', import.meta.url));
/** The emulator's own overhead must stay under this share of the modeled time (issue 16). */
const OVERHEAD_BUDGET = 0.1;
/** The scale is picked so the measured overhead is this share: a margin below the budget. */
const OVERHEAD_TARGET = 0.06;

/** Progress on stderr: these sections take minutes. */
const progress = (line: string) => process.stderr.write(`  [model] ${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;

/** Real seconds per modeled second such that `overheadMs` is OVERHEAD_TARGET of `modeledS`. */
function pickScale(overheadMs: number, modeledS: number): number {
  return overheadMs / 1000 / (OVERHEAD_TARGET * modeledS);
}

function scaleNote(scale: number): string {
  return `time scale ${scale.toFixed(4)} real s per modeled s (a modeled minute took ${(60 * scale).toFixed(2)} s)`;
}

async function overheadOf(times: number, fn: () => Promise<number>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(await fn());
  return median(out);
}

/**
 * (5) Rollout of the enabled regions of gitops/ into an empty account under the model, against the
 * model's critical path and its sequential sum; the emulator overhead measured with the model at zero.
 */
async function benchEmptyAccount(aws: ModelAws, rows: BenchRow[]): Promise<number> {
  const dir = join(REPO_ROOT, 'gitops');
  const base = await loadGitops(dir);
  const regions = base.regions.filter((r) => r.enabled).map((r) => r.name);
  const model = modeledFirstRollout(base, regions);
  const once = async (scale: number) => {
    const zone = await aws.freshAccount(base.platform.domain);
    const config = await loadForRun(dir, zone);
    aws.proxy.setScale(scale);
    return applyModeled(config, dir, regions, scale);
  };
  // Warm-up (module loading, moto's first templates), then the overhead with every modeled time at 0.
  await once(0);
  const overheadMs = await overheadOf(2, async () => (await once(0)).ms);
  const scale = pickScale(overheadMs, model.criticalPathS);
  progress(
    `rollout: overhead ${seconds(overheadMs)}, ${scaleNote(scale)}, modeled ${seconds(model.criticalPathS * 1000 * scale)}`,
  );
  const { ms, report } = await once(scale);
  progress(`rollout: took ${seconds(ms)}`);
  const calls = aws.proxy.total();
  const modeledMs = model.criticalPathS * 1000 * scale;
  const spanModeledS = ms / 1000 / scale;
  const includes =
    'span: first AWS call to every region applied; includes change sets, stack executions, stack outputs and the DNS step (no load balancer here: DNS left as it is); cluster step not run (no Kubernetes API), so not verified or promoted';
  rows.push(
    {
      section: '5',
      id: 'rollout-empty-account-vs-critical-path',
      what: `rollout ${regions.join(', ')} into an empty account ÷ the model's critical path`,
      ours: `${seconds(ms)} (= ${minutes(spanModeledS)} modeled)`,
      baseline: `${seconds(modeledMs)} (= ${minutes(model.criticalPathS)}: ${model.path})`,
      ratio: ms / modeledMs,
      oursValue: spanModeledS,
      baselineValue: model.criticalPathS,
      unit: 'modeled s',
      note: `goal ≤ 1.10. ${includes}. ${scaleNote(scale)}; ${report.applied.length} stacks, ${calls} API calls (${(calls / report.applied.length).toFixed(0)} per stack, polls included)`,
    },
    {
      section: '5',
      id: 'rollout-empty-account-vs-sequential',
      what: `rollout ${regions.join(', ')} into an empty account ÷ its stacks one after another`,
      ours: `${minutes(spanModeledS)} modeled`,
      baseline: `${minutes(model.sequentialS)} modeled (sum of the ${model.stacks} stacks' modeled change set + execution)`,
      ratio: spanModeledS / model.sequentialS,
      oursValue: spanModeledS,
      baselineValue: model.sequentialS,
      unit: 'modeled s',
      note: 'what the engine took before issue 16 (stacks of a region one after another), from the same model',
    },
    {
      section: '5',
      id: 'rollout-emulator-overhead',
      what: 'emulator and engine overhead ÷ the modeled critical path',
      ours: `${seconds(overheadMs)} (same rollout, every modeled time 0)`,
      baseline: `${seconds(modeledMs)} (critical path at this scale)`,
      ratio: overheadMs / modeledMs,
      oursValue: overheadMs,
      baselineValue: modeledMs,
      unit: 'ms',
      note: `budget < ${OVERHEAD_BUDGET * 100} %: the scale is picked from this measurement (${OVERHEAD_TARGET * 100} % target); moto executes every change set in one thread, so this is mostly moto`,
    },
  );
  return scale;
}

/** The gitops copy of a pull request changing one parameter of one region (a literal of us-west-2's eks). */
function pullRequestCopy(into: string): { dir: string; region: string; stack: string } {
  const repo = join(into, 'head');
  cpSync(join(REPO_ROOT, 'gitops'), join(repo, 'gitops'), { recursive: true });
  const file = join(repo, 'gitops', 'regions', 'us-west-2.yaml');
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(
    'DeployRoleArn: arn:aws:iam::123456789012:role/coderdemo-github-deploy',
    'DeployRoleArn: arn:aws:iam::123456789012:role/coderdemo-github-deploy-2',
  );
  if (changed === text) throw new Error('bench: the eks DeployRoleArn literal of us-west-2 was not found');
  writeFileSync(file, changed);
  return { dir: join(repo, 'gitops'), region: 'us-west-2', stack: 'eks' };
}

/**
 * The baseline's input: every stack of the region, the parameters the pull request sets with their new
 * values and the rest as UsePreviousValue, as a person's script would pass them.
 */
function writeCliInput(report: PlanReport, gitopsDir: string, tmp: string): { file: string; stacks: number } {
  const lines: string[] = [];
  for (const region of report.regions) {
    for (const s of region.stacks) {
      const params = join(tmp, `${s.stackName}.json`);
      const template = parseTemplate(
        readFileSync(join(gitopsDir, 'stacks', `${s.template}.yaml`), 'utf8'),
        `stacks/${s.template}.yaml`,
      );
      const changed = new Map(
        s.parameters
          .filter((p) => p.after !== undefined && p.after !== p.before)
          .map((p) => [p.key, p.after]),
      );
      writeFileSync(
        params,
        JSON.stringify(
          Object.keys((template.Parameters ?? {}) as object).map((k) =>
            changed.has(k)
              ? { ParameterKey: k, ParameterValue: changed.get(k) }
              : { ParameterKey: k, UsePreviousValue: true },
          ),
        ),
      );
      lines.push(
        [s.deployRegion, s.stackName, join(gitopsDir, 'stacks', `${s.template}.yaml`), params].join(' '),
      );
    }
  }
  const file = join(tmp, 'pr-stacks.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, stacks: lines.length };
}

/**
 * (6) The usual pull request: main deployed, one parameter of one region changed. Plan wall time under
 * the model against an AWS CLI script doing the same, and against the slowest single change set.
 */
async function benchPullRequest(aws: ModelAws, rows: BenchRow[], tmp: string): Promise<void> {
  const mainDir = join(REPO_ROOT, 'gitops');
  const base = await loadGitops(mainDir);
  const enabled = base.regions.filter((r) => r.enabled).map((r) => r.name);
  const zone = await aws.freshAccount(base.platform.domain);
  aws.proxy.setScale(0);
  await applyModeled(await loadForRun(mainDir, zone), mainDir, enabled, 0);
  const pr = pullRequestCopy(tmp);
  let run = 0;
  const plan = async (scale: number) => {
    aws.proxy.setScale(scale);
    aws.proxy.reset();
    // Change set names carry the head's first 12 characters: a new head per run, so nothing is reused.
    const head = `${String(++run).padStart(4, '0')}be0c`.padEnd(40, '0');
    return planModeled(pr.dir, [pr.region], scale, { baseDir: mainDir, hostedZoneId: zone, headSha: head });
  };
  await plan(0);
  const overheadMs = await overheadOf(3, async () => (await plan(0)).ms);
  const scale = pickScale(overheadMs, CHANGE_SET_CREATE.seconds);
  progress(`pull request: plan overhead ${formatMs(overheadMs)}, ${scaleNote(scale)}`);
  const ours = await plan(scale);
  progress(`pull request: plan took ${formatMs(ours.ms)}`);
  const ourCalls = aws.proxy.total();
  const ourOps = describeCalls(aws.proxy.calls());
  const changed = ours.report.regions.flatMap((r) => r.stacks).filter((s) => s.status === 'update');
  const input = writeCliInput(ours.report, pr.dir, tmp);

  aws.proxy.reset();
  const cli = await timeSpawn('bash', [BASELINE_PR, input.file, String(5 * scale)], {
    env: aws.env,
    timeoutMs: 600_000,
  });
  if (cli.code !== 0) throw new Error(`baseline script failed: ${cli.stderr.trim().slice(-500)}`);
  progress(`pull request: CLI script took ${formatMs(cli.exitMs)}`);
  const cliCalls = aws.proxy.total();
  const cliOps = describeCalls(aws.proxy.calls());
  const slowestMs = CHANGE_SET_CREATE.seconds * 1000 * scale;
  const common = `${scaleNote(scale)}; main deployed, ${pr.region}'s ${pr.stack} parameter DeployRoleArn changed; ${changed.length} stack to update (${changed.map((s) => s.stack).join(', ')}) of ${input.stacks}`;
  rows.push(
    {
      section: '6',
      id: 'pr-plan-vs-cli',
      what: `plan of the usual pull request (${pr.region}) vs an AWS CLI script doing the same`,
      ours: formatMs(ours.ms),
      baseline: `${formatMs(cli.exitMs)} (AWS CLI v1 script)`,
      ratio: ours.ms / cli.exitMs,
      oursValue: ours.ms,
      baselineValue: cli.exitMs,
      unit: 'ms',
      note: `${common}. The script creates a change set per stack one after another and polls each every 5 s (scaled, as \`aws cloudformation deploy\` does); ours plans a region's stacks at once and also diffs templates, Flux, DNS, cluster-vars. Calls: ours ${ourCalls} (${ourOps}); script ${cliCalls} (${cliOps})`,
    },
    {
      section: '6',
      id: 'pr-plan-vs-slowest-change-set',
      what: 'plan of the usual pull request ÷ the slowest single change set',
      ours: formatMs(ours.ms),
      baseline: `${formatMs(slowestMs)} (one change set: ${CHANGE_SET_CREATE.seconds} s modeled)`,
      ratio: ours.ms / slowestMs,
      oursValue: ours.ms,
      baselineValue: slowestMs,
      unit: 'ms',
      note: `goal ≤ 1.2; plan overhead with the model at 0: ${formatMs(overheadMs)} (${((overheadMs / slowestMs) * 100).toFixed(0)} % of the change set at this scale)`,
    },
  );
}

/** (7) Plan and apply of 1, 3, 10 and 30 generated regions into an empty account under the model. */
async function benchGrowthModeled(
  aws: ModelAws,
  rows: BenchRow[],
  tmp: string,
  scale: number,
  sizes: number[],
) {
  const results: {
    n: number;
    applyMs: number;
    planMs: number;
    modelS: number;
    applyCalls: number;
    planCalls: number;
    stacks: number;
    planStacks: number;
  }[] = [];
  const failures: { n: number; message: string }[] = [];
  // Warm-up: the first plan of a process loads the CloudFormation spec and the modules (about a second).
  {
    const { dir, regions } = await generateGitops(1, join(tmp, 'warm'));
    const zone = await aws.freshAccount((await loadGitops(dir)).platform.domain);
    aws.proxy.setScale(0);
    await planModeled(dir, regions, 0, { hostedZoneId: zone });
  }
  for (const n of sizes) {
    try {
      const { dir, regions } = await generateGitops(n, tmp);
      const base = await loadGitops(dir);
      const model = modeledFirstRollout(base, regions);
      let zone = await aws.freshAccount(base.platform.domain);
      aws.proxy.setScale(scale);
      const planned = await planModeled(dir, regions, scale, { hostedZoneId: zone });
      const planCalls = aws.proxy.total();
      const planStacks = planned.report.regions.flatMap((r) => r.stacks).length;
      zone = await aws.freshAccount(base.platform.domain);
      aws.proxy.setScale(scale);
      const applied = await applyModeled(await loadForRun(dir, zone), dir, regions, scale);
      progress(`growth ${n}: plan ${formatMs(planned.ms)}, apply ${formatMs(applied.ms)}`);
      results.push({
        n,
        applyMs: applied.ms,
        planMs: planned.ms,
        modelS: model.criticalPathS,
        applyCalls: aws.proxy.total(),
        planCalls,
        stacks: applied.report.applied.length,
        planStacks,
      });
    } catch (err) {
      // One size failing (an emulator limit) must not lose the others: say so in its own row.
      const message = err instanceof Error ? err.message : String(err);
      progress(`growth ${n}: failed: ${message}`);
      failures.push({ n, message });
    }
  }
  for (const f of failures) {
    rows.push({
      section: '7',
      id: `model-apply-${f.n}-regions`,
      what: `plan and apply ${f.n} regions under the model: not measured`,
      ours: 'n/a',
      baseline: 'n/a',
      note: f.message.slice(0, 300),
    });
  }
  const one = results[0];
  if (!one) return;
  for (const r of results) {
    const label = `${r.n} region${r.n === 1 ? '' : 's'}`;
    rows.push(
      {
        section: '7',
        id: `model-plan-${r.n}-regions`,
        what: `plan ${label} under the model`,
        ours: formatMs(r.planMs),
        baseline: `${formatMs(one.planMs)} (1 region)`,
        ratio: r.planMs / one.planMs,
        oursValue: r.planMs,
        baselineValue: one.planMs,
        unit: 'ms',
        note: `goal ≤ 1.5× at 30; ${r.planStacks} stacks, ${r.planCalls} API calls (${(r.planCalls / r.planStacks).toFixed(1)} per stack)`,
      },
      {
        section: '7',
        id: `model-apply-${r.n}-regions`,
        what: `apply ${label} into an empty account under the model`,
        ours: formatMs(r.applyMs),
        baseline: `${formatMs(one.applyMs)} (1 region)`,
        ratio: r.applyMs / one.applyMs,
        oursValue: r.applyMs,
        baselineValue: one.applyMs,
        unit: 'ms',
        note: `÷ its own modeled critical path (${minutes(r.modelS)}${r.n > 1 ? ': hub wave, then the spokes side by side' : ''}): ${(r.applyMs / (r.modelS * 1000 * scale)).toFixed(2)}×; ${r.stacks} stacks, ${r.applyCalls} API calls (${(r.applyCalls / r.stacks).toFixed(0)} per stack, polls included); ${scaleNote(scale)}`,
      },
    );
  }
}

/** (5)-(7): the rollout under the AWS timing model (src/aws/timing-model.ts) played by the timing proxy. */
export async function benchModeled(only: Set<string>, sizes = [1, 3, 10, 30]): Promise<BenchRow[]> {
  const real = await loadGitops(join(REPO_ROOT, 'gitops'));
  const aws = await startModelAws(real.platform.accountId);
  const tmp = mkdtempSync(join(tmpdir(), 'cg-bench-model-'));
  const rows: BenchRow[] = [];
  try {
    let scale = 1 / 30;
    if (only.has('5')) scale = await benchEmptyAccount(aws, rows);
    if (only.has('6')) await benchPullRequest(aws, rows, tmp);
    if (only.has('7')) await benchGrowthModeled(aws, rows, tmp, scale, sizes);
    return rows;
  } finally {
    await aws.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
