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
const layers = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

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
    ignores: ['src/cli/**', 'src/sandbox/**', 'src/gitops/**', 'src/apply/**'],
    rules: layers(NO_CLI),
  },
  { files: ['src/gitops/**/*.ts'], rules: layers(NO_CLI, NO_PLAN_FROM_GITOPS) },
  { files: ['src/apply/**/*.ts'], rules: layers(NO_CLI, NO_PLAN_FROM_APPLY) },
);
