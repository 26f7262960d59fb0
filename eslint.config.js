import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers, enforced here rather than remembered (the built-in no-restricted-imports: patterns match the
// import specifier, so `**/cli/*` catches `../cli/x.js` and `../../cli/x.js` alike).
const NO_CLI = {
  group: ['**/cli/*'],
  message:
    'engines never import cli/: the CLI is a thin shell over them (move shared code to src/util or the engine).',
};
const NO_PLAN_FROM_GITOPS = {
  group: ['**/plan/*'],
  message:
    'gitops/ (load, validate, render) never imports plan/: the plan builds on gitops, not the reverse.',
};
const NO_PLAN_FROM_APPLY = {
  group: ['**/plan/*'],
  message:
    'apply uses the review module (src/review: risk rules, "changed", change set comparison, decision), not plan internals.',
};
// Git in one place (src/git/git.ts): no other module starts processes, except the few that run a tool
// that is not git (kubectl kustomize, the flux CLI, the sandbox's emulators and openssl).
const NO_CHILD_PROCESS = ['child_process', 'node:child_process'].map((name) => ({
  name,
  message:
    'git runs through src/git/git.ts (runGit, spawnGit, fetchBranch, ...); other processes only where the layer rules allow them.',
}));
const SPAWNS_GIT = {
  selector:
    "CallExpression[callee.name=/^(spawn|spawnSync|execFile|execFileSync|exec|execSync)$/][arguments.0.value='git']",
  message: 'git runs through src/git/git.ts only (one error shape, one rule for revisions).',
};
const MAY_SPAWN = [
  'src/git/**',
  'src/sandbox/**',
  'src/gitops/render-flux.ts',
  'src/cluster/flux-install.ts',
  'src/helm/**',
];
const layers = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns, paths: NO_CHILD_PROCESS }],
});
const layersMaySpawn = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'coverage/**', '.sandbox/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // One entry per folder: a later entry for the same rule replaces an earlier one for the files it matches.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/sandbox/**', 'src/gitops/**', 'src/apply/**', ...MAY_SPAWN],
    rules: layers(NO_CLI),
  },
  { files: ['src/cli/**/*.ts'], rules: layers() },
  { files: ['src/gitops/**/*.ts'], ignores: MAY_SPAWN, rules: layers(NO_CLI, NO_PLAN_FROM_GITOPS) },
  { files: ['src/gitops/render-flux.ts'], rules: layersMaySpawn(NO_CLI, NO_PLAN_FROM_GITOPS) },
  {
    files: ['src/cluster/flux-install.ts', 'src/git/**/*.ts', 'src/helm/**/*.ts'],
    rules: layersMaySpawn(NO_CLI),
  },
  { files: ['src/apply/**/*.ts'], rules: layers(NO_CLI, NO_PLAN_FROM_APPLY) },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/git/**'],
    rules: { 'no-restricted-syntax': ['error', SPAWNS_GIT] },
  },
);
