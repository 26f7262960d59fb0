import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigLines } from '../src/gitops/config-lines.js';
import { loadGitops } from '../src/gitops/load-gitops.js';
import { loadValidatedGitops } from '../src/gitops/validate-gitops.js';
import { validateRendered } from '../src/gitops/validate-rendered.js';
import { REPO_ROOT } from '../test/helpers/run-action.js';
import { formatMs, median, repeat, type BenchRow } from './stats.js';

/**
 * `validate` on the repository's gitops/ (it runs first in every plan): the whole validation, and the
 * schema/Coder/order part of it alone, in-process. Baseline: building every Flux path of every region
 * with `kubectl kustomize`, the nearest thing a person runs to check manifests (and it checks no schema).
 */
export async function benchValidate(runs: number): Promise<BenchRow[]> {
  const gitopsDir = join(REPO_ROOT, 'gitops');
  const whole = await repeat(runs, async () => {
    await loadValidatedGitops(gitopsDir);
  });
  const config = await loadGitops(gitopsDir);
  const rendered = await repeat(runs, async () => {
    validateRendered(config, new ConfigLines(config));
  });
  const paths = [
    'clusters/us-east-2',
    'clusters/us-west-2',
    'clusters/eu-west-2',
    'infrastructure/controllers',
    'infrastructure/configs',
    'apps/base',
  ];
  const kustomize = await repeat(runs, async () => {
    for (const p of paths) execFileSync('kubectl', ['kustomize', join(gitopsDir, p)], { stdio: 'ignore' });
  });
  const base = median(kustomize);
  return [
    {
      section: '9',
      what: 'validate gitops/ (3 regions): load + every check',
      ours: formatMs(median(whole)),
      baseline: `${formatMs(base)} (kubectl kustomize ×${paths.length})`,
      ratio: median(whole) / base,
    },
    {
      section: '9',
      what: 'of which schemas, CRD rules, Coder rules, order (after substitution)',
      ours: formatMs(median(rendered)),
      baseline: formatMs(base),
      ratio: median(rendered) / base,
      note: 'in-process, after one warm-up run; model modules load once per process',
    },
  ];
}
