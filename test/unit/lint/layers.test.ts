import { ESLint } from 'eslint';

const root = new URL('../../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('layers are enforced by lint', () => {
  it.each([
    [
      'src/apply/probe.ts',
      "import { planStack } from '../plan/plan-stack.js';\nvoid planStack;\n",
      /review module/,
    ],
    [
      'src/apply/probe.ts',
      "import { applyCommand } from '../cli/apply-command.js';\nvoid applyCommand;\n",
      /never import cli/,
    ],
    [
      'src/gitops/probe.ts',
      "import { runPlan } from '../plan/plan-engine.js';\nvoid runPlan;\n",
      /never imports plan/,
    ],
    ['src/verify/probe.ts', "import { main } from '../cli/main.js';\nvoid main;\n", /never import cli/],
    // Git in one place: no layer starts processes of its own, and nobody but src/git/ spawns git.
    [
      'src/plan/probe.ts',
      "import { execFile } from 'node:child_process';\nvoid execFile;\n",
      /git runs through src\/git\/git.ts/,
    ],
    [
      'src/cli/probe.ts',
      "import { spawn } from 'child_process';\nvoid spawn;\n",
      /git runs through src\/git\/git.ts/,
    ],
    [
      'src/sandbox/probe.ts',
      "import { spawn } from 'node:child_process';\nexport const g = () => spawn('git', ['status']);\n",
      /git runs through src\/git\/git.ts only/,
    ],
  ])('%s: %s is refused', async (file, code, why) => {
    const messages = await restricted(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(why);
  });

  it.each([
    [
      'src/apply/probe.ts',
      "import { decideReview } from '../review/review-decision.js';\nvoid decideReview;\n",
    ],
    ['src/plan/probe.ts', "import { stackRisk } from '../review/risk-rules.js';\nvoid stackRisk;\n"],
    ['src/cli/probe.ts', "import { runPlan } from '../plan/plan-engine.js';\nvoid runPlan;\n"],
    ['src/plan/probe.ts', "import { runGit } from '../git/git.js';\nvoid runGit;\n"],
    [
      'src/git/probe.ts',
      "import { execFile } from 'node:child_process';\nexport const g = () => execFile('git', ['status']);\n",
    ],
    [
      'src/sandbox/probe.ts',
      "import { spawn } from 'node:child_process';\nexport const m = () => spawn('python3', ['-m', 'moto.server']);\n",
    ],
  ])('%s: an allowed import passes', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
