import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGitops } from '../src/gitops/load-gitops.js';
import { REPO_ROOT } from '../test/helpers/run-action.js';
import { startBenchAws, type BenchAws } from './moto-env.js';
import { describeCalls, planOnce } from './plan.js';
import { formatMs, median, type BenchRow } from './stats.js';

const SIZES = [1, 3, 10, 30];
// Real region names (moto keys its backends by them), most common first.
const SPOKES = [
  'us-west-2',
  'eu-west-2',
  'us-east-1',
  'us-west-1',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'eu-central-2',
  'eu-south-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-east-1',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'me-south-1',
  'me-central-1',
  'il-central-1',
  'af-south-1',
  'ca-west-1',
  'ap-southeast-5',
];

/**
 * A gitops dir with `count` enabled regions, made from the real one: the hub as it is, spokes from the
 * real spoke (us-west-2) with the name replaced, each with its own 10.<i>.0.0/16.
 */
export async function generateGitops(
  count: number,
  into: string,
): Promise<{ dir: string; regions: string[] }> {
  const src = join(REPO_ROOT, 'gitops');
  const real = await loadGitops(src);
  const hub = real.platform.hubRegion;
  const template =
    real.regions.find((r) => r.role === 'spoke' && r.enabled) ?? real.regions.find((r) => r.role === 'spoke');
  if (!template) throw new Error('gitops/ has no spoke region to copy');
  const spokes = SPOKES.filter((r) => r !== hub).slice(0, count - 1);
  if (spokes.length < count - 1)
    throw new Error(`only ${SPOKES.length} spoke names known, asked for ${count - 1}`);
  // Flux paths are relative to the repository root, so the folder must be called gitops.
  const dir = join(into, `repo-${count}`, 'gitops');
  mkdirSync(join(dir, 'regions'), { recursive: true });
  mkdirSync(join(dir, 'clusters'), { recursive: true });
  for (const sub of ['stacks', 'infrastructure', 'apps'])
    cpSync(join(src, sub), join(dir, sub), { recursive: true });
  // Vantage points name real spokes that may not exist here: expect the hub everywhere.
  writeFileSync(
    join(dir, 'platform.yaml'),
    readFileSync(join(src, 'platform.yaml'), 'utf8').replace(
      /expectedRegions: \[[^\]]*\]/g,
      `expectedRegions: [${hub}]`,
    ),
  );
  writeFileSync(
    join(dir, 'regions', `${hub}.yaml`),
    readFileSync(join(src, 'regions', `${hub}.yaml`), 'utf8').replace(
      /^vpcCidr: .*$/m,
      'vpcCidr: 10.0.0.0/16',
    ),
  );
  cpSync(join(src, 'clusters', hub), join(dir, 'clusters', hub), { recursive: true });
  const spokeText = readFileSync(
    template.file.startsWith('/') ? template.file : join(REPO_ROOT, template.file),
    'utf8',
  );
  const nameRe = new RegExp(template.name.replace(/-/g, '\\-'), 'g');
  spokes.forEach((name, i) => {
    const text = spokeText
      .replace(nameRe, name)
      .replace(/^vpcCidr: .*$/m, `vpcCidr: 10.${i + 1}.0.0/16`)
      .replace(/^enabled: .*$/m, 'enabled: true')
      .replace(/^wave: .*$/m, 'wave: 2');
    writeFileSync(join(dir, 'regions', `${name}.yaml`), text);
    cpSync(join(src, 'clusters', template.name), join(dir, 'clusters', name), { recursive: true });
    for (const f of ['flux-system.yaml', 'infrastructure.yaml', 'apps.yaml', 'kustomization.yaml']) {
      const p = join(dir, 'clusters', name, f);
      try {
        writeFileSync(p, readFileSync(p, 'utf8').replace(nameRe, name));
      } catch {
        // not every cluster folder has every file
      }
    }
  });
  return { dir, regions: [hub, ...spokes] };
}

/** (4) Plan time and API calls for 1, 3, 10 and 30 generated regions, against the 1-region run. */
export async function benchGrowth(runs: number, sizes = SIZES): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'cg-bench-growth-'));
  let aws: BenchAws | undefined;
  try {
    const real = await loadGitops(join(REPO_ROOT, 'gitops'));
    aws = await startBenchAws(real.platform.accountId);
    const results: { n: number; ms: number; calls: number; ops: string; changeSets: number }[] = [];
    for (const n of sizes) {
      const { dir, regions } = await generateGitops(n, tmp);
      const times: number[] = [];
      let calls = 0;
      let ops = '';
      let changeSets = 0;
      for (let i = 0; i <= runs; i++) {
        await aws.reset();
        const t0 = performance.now();
        const report = await planOnce(dir, regions);
        if (i === 0) continue; // warm-up: module and spec loading
        times.push(performance.now() - t0);
        calls = aws.proxy.total();
        ops = describeCalls(aws.proxy.calls());
        changeSets = report.regions.flatMap((r) => r.stacks).filter((s) => s.changeSetName).length;
      }
      results.push({ n, ms: median(times), calls, ops, changeSets });
    }
    const one = results[0]!;
    return results.flatMap((r) => [
      {
        section: '4',
        what: `plan ${r.n} region${r.n === 1 ? '' : 's'}: wall time`,
        ours: formatMs(r.ms),
        baseline: `${formatMs(one.ms)} (${one.n} region)`,
        ratio: r.ms / one.ms,
        note: `${(r.ms / r.n).toFixed(0)} ms per region; ${r.changeSets} change sets`,
      },
      {
        section: '4',
        what: `plan ${r.n} region${r.n === 1 ? '' : 's'}: AWS API calls`,
        ours: String(r.calls),
        baseline: `${one.calls} (${one.n} region)`,
        ratio: r.calls / one.calls,
        note: r.ops,
      },
    ]);
  } finally {
    await aws?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
