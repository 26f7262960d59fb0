import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { ConsoleLogger } from '../src/util/logger.js';
import { recordIamCalls } from '../test/helpers/record-iam-calls.js';

/*
 * `npm run record-calls`: regenerate test/fixtures/iam-calls.json, every AWS call the product makes
 * under each workflow role, from a sandbox run through the counting proxy. Run it after a change
 * that adds a call; the policy test fails on a call made in src/ that the recording lacks.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}test/fixtures/iam-calls.json`;
const { recording, report } = await recordIamCalls(`${root}gitops`, new ConsoleLogger({ verbose: false }));
if (!report.ok) {
  process.stderr.write(
    `the sandbox failed, nothing recorded: ${report.steps
      .filter((s) => s.status === 'failed')
      .map((s) => `${s.name}: ${s.detail}`)
      .join('; ')}\n`,
  );
  process.exit(1);
}
await writeFile(out, await format(JSON.stringify(recording), { filepath: out }));
const counts = Object.entries(recording.roles).map(([r, calls]) => `${r} ${calls.length}`);
process.stdout.write(`wrote ${out}: ${counts.join(', ')} distinct calls\n`);
