// Builds each action into actions/<name>/dist/index.js with ncc (minified, deterministic), plus
// dist/package.json marking the bundle as ESM. CI rebuilds and diffs the result against the commit.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const actions = readdirSync(join(root, 'actions')).filter(
  (a) => existsSync(join(root, 'actions', a, 'src', 'index.ts')) && (only.length === 0 || only.includes(a)),
);
for (const action of actions) {
  const out = join(root, 'actions', action, 'dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'ncc'),
    [
      'build',
      join('actions', action, 'src', 'index.ts'),
      '-o',
      out,
      '-m',
      '--license',
      'licenses.txt',
      '--target',
      'es2022',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  // @aws-cdk/aws-service-spec reads its CloudFormation spec database from disk next to the code that
  // loads it: in a bundle, next to dist/index.js (see src/review/spec-location.ts).
  if (readFileSync(join(out, 'index.js'), 'utf8').includes('db.json.gz')) {
    copyFileSync(
      join(root, 'node_modules', '@aws-cdk', 'aws-service-spec', 'db.json.gz'),
      join(out, 'db.json.gz'),
    );
  }
  process.stdout.write(`built actions/${action}/dist\n`);
}
