import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSandbox } from '../../src/sandbox/run-sandbox.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { REPO_ROOT } from '../helpers/run-action.js';

/*
 * The emulator enforces IAM actions in the sandbox: a copy of gitops/ whose deploy role lacks one
 * permission apply needs (SetStackPolicy, set before every update and after every create) stops the
 * sandbox with AccessDenied naming the action and the role, where real AWS would.
 */

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sandbox-iam-'));
  await cp(join(REPO_ROOT, 'gitops'), join(work, 'gitops'), { recursive: true });
  const file = join(work, 'gitops', 'stacks', 'github-oidc.yaml');
  const text = await readFile(file, 'utf8');
  // The deploy role's Allow (its first mention; the second is the Deny on the github-oidc stack).
  const allow =
    '                  - cloudformation:SetStackPolicy\n                  - cloudformation:DeleteStack\n';
  expect(text.split(allow)).toHaveLength(2);
  await writeFile(file, text.replace(allow, '                  - cloudformation:DeleteStack\n'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test('a deploy role without cloudformation:SetStackPolicy fails the sandbox with a clear AccessDenied', async () => {
  const logger = new MemoryLogger();
  const report = await runSandbox({ gitopsDir: join(work, 'gitops'), keep: false, logger });
  expect(report.ok).toBe(false);
  const failed = report.steps.find((s) => s.status === 'failed');
  expect(failed?.name).toMatch(/^apply/);
  expect(failed?.detail).toMatch(
    /assumed-role\/coderdemo-github-deploy\/\S+ is not authorized to perform: cloudformation:SetStackPolicy/,
  );
  // Everything before apply ran under the same enforcement: the plan role's calls were all allowed.
  expect(report.steps.find((s) => s.name === 'plan every enabled region')?.status).toBe('ok');
  expect(report.iam?.enforced.join(' ')).toContain('action');
}, 240_000);
