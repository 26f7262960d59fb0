import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.js';
import { benchGrowth } from './growth.js';
import { benchPlan } from './plan.js';
import { benchProbes } from './probes.js';
import { benchModeled } from './rollout.js';
import { benchStartup } from './startup.js';
import { benchStatusPage } from './status-page.js';
import { renderTable, toJsonRows, type BenchRow } from './stats.js';
import { benchValidate } from './validate.js';

const README = fileURLToPath(new URL('./README.md', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const START = '<!-- bench:results -->';
const END = '<!-- /bench:results -->';

/**
 * `npm run bench [-- --only 2,3] [-- --runs N] [-- --write] [-- --json]`: the table, optionally written into
 * README (`--write`) and every row into bench/results.json (`--json`).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = new Set((arg('--only') ?? '1,2,3,4,5,6,7,8,9').split(','));
  const runs = Number(arg('--runs') ?? process.env.BENCH_RUNS ?? 5);
  const machine = describeMachine();
  console.log(`machine: ${machine}\nruns per measurement: ${runs} (median reported)\n`);
  const rows: BenchRow[] = [];
  const section = async (id: string, name: string, fn: () => Promise<BenchRow[]>) => {
    if (!id.split(',').some((x) => only.has(x))) return;
    process.stdout.write(`(${id}) ${name}… `);
    const t0 = performance.now();
    try {
      const got = await fn();
      rows.push(...got);
      console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.log(`FAILED: ${message}`);
      rows.push({ section: id, what: `${name}: not measured`, ours: 'n/a', baseline: 'n/a', note: message });
    }
  };
  await section('1', 'plan against moto vs AWS CLI', () => benchPlan(Math.max(1, Math.ceil(runs / 2))));
  await section('2', 'action start-up', () => benchStartup(runs));
  await section('3', 'HTTPS probes', () => benchProbes(runs));
  await section('4', 'growth 1/3/10/30 regions', () => benchGrowth(Math.max(1, Math.ceil(runs / 2))));
  if (['5', '6', '7'].some((s) => only.has(s))) {
    const sizes = (arg('--sizes') ?? '1,3,10,30').split(',').map(Number);
    await section(
      [...only].filter((s) => ['5', '6', '7'].includes(s)).join(','),
      'rollout under the AWS timing model',
      () => benchModeled(only, sizes),
    );
  }
  await section('8', 'status page from 30 days of history', () => benchStatusPage(runs));
  await section('9', 'validate gitops/', () => benchValidate(runs));
  rows.sort((a, b) => a.section.localeCompare(b.section));
  const table = renderTable(rows);
  console.log(`\n${table}`);
  if (args.includes('--json')) {
    const json = { taken: new Date().toISOString(), machine, runs, rows: toJsonRows(rows) };
    writeFileSync(RESULTS, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwritten to ${RESULTS}`);
  }
  if (args.includes('--write')) {
    const text = readFileSync(README, 'utf8');
    const block = `${START}\n\nTaken ${new Date().toISOString()} with \`${['npm run bench --', ...args].join(' ')}\`.\nMachine: ${machine}; ${runs} runs per measurement, median reported.\n\n${table}\n\n${END}`;
    const at = text.indexOf(START);
    const end = text.indexOf(END);
    writeFileSync(
      README,
      at >= 0 && end > at ? text.slice(0, at) + block + text.slice(end + END.length) : `${text}\n${block}\n`,
    );
    console.log(`\nwritten to ${README}`);
  }
}

await main();
