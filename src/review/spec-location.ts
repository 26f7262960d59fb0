/*
 * Where @aws-cdk/aws-service-spec finds its database (db.json.gz) at run time, and why this file exists.
 *
 * The package reads `path.join(__dirname, '..', 'db.json.gz')` (lib/index.js, `DB_PATH`), synchronously,
 * the first time @aws-cdk/cloudformation-diff needs a resource model (fullDiff of any resource change).
 * Unbundled, `__dirname` is node_modules/@aws-cdk/aws-service-spec/lib, so it reads the package's own
 * node_modules/@aws-cdk/aws-service-spec/db.json.gz.
 *
 * In an ncc bundle built as ESM (our actions: dist/package.json {"type":"module"}), ncc's asset relocator
 * does not rewrite this `__dirname` (the path is computed into a constant first) and leaves a bare
 * `__dirname`, which ES modules do not have: importing cloudformation-diff then throws
 * `ReferenceError: __dirname is not defined in ES module scope` while the bundle loads (tried with
 * ncc 0.45.0, `-m --target es2022`, as scripts/package.mjs builds). Evaluated before cloudformation-diff
 * (import this module first), the line below defines the global `__dirname` as
 * `<bundle dir>/aws-service-spec` when none exists, so `path.join(__dirname, '..', 'db.json.gz')` is
 * **`<bundle dir>/db.json.gz`, i.e. `actions/<name>/dist/db.json.gz`, next to `dist/index.js`**: the
 * packaging step must copy node_modules/@aws-cdk/aws-service-spec/db.json.gz there (2.8 MB; without it
 * the first template diff with a resource change fails with ENOENT on exactly that path).
 * Unbundled (tsx, jest) nothing reads the global: CommonJS modules get their own `__dirname`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const g = globalThis as { __dirname?: string };
if (typeof g.__dirname === 'undefined') {
  g.__dirname = join(dirname(fileURLToPath(import.meta.url)), 'aws-service-spec');
}

/** Where a bundle looks for db.json.gz (for error messages and the packaging check). */
export function bundledSpecPath(bundleDir: string): string {
  return join(bundleDir, 'db.json.gz');
}
