import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** The top-level homes of the code, lowest first; docs/architecture.md draws the same picture. */
const TOP = ['contracts', 'infra', 'workflows', 'agents', 'activities', 'bridge', 'ui', 'api', 'runtime', 'test', 'bench'];
/** What each layer may import besides itself (contracts and workflows are handled below). */
const LAYERS = {
  infra: ['contracts'],
  agents: ['contracts', 'infra'],
  activities: ['contracts', 'infra', 'agents'],
  bridge: ['contracts', 'infra'],
  ui: ['contracts'],
  // The API is a Temporal client: it shares the workflows' update, query and search-attribute definitions.
  api: ['contracts', 'infra', 'agents', 'workflows', 'ui'],
};
const layersBut = (allowed) => TOP.filter((t) => !allowed.includes(t)).join('|');

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read config once in runtime/config/load-config.ts and pass it in.' }],
    },
  },
  {
    // Workflows must be deterministic: only the workflow SDK, contracts and type-only imports of activities.
    files: ['workflows/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { regex: '^node:', message: 'No Node built-ins in workflow code.' },
          { regex: '^(ioredis|amqplib|hono|@hono/.*|pino|zod|@anthropic-ai/sdk|openai|exceljs|@temporalio/(client|worker|activity))$', message: 'No I/O libraries (or zod, which bloats every run) in workflow code.' },
          { regex: `^(\\.\\./)+(${layersBut(['contracts', 'workflows', 'activities'])})(/|$)`, message: 'Workflows import only @temporalio/workflow and contracts/ (and activities as `import type`).' },
          { regex: '^(\\.\\./)+activities(/|$)', allowTypeImports: true, message: 'Workflows import activities only as `import type`.' },
        ],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
  {
    files: ['contracts/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!zod$|\\./).*', message: 'contracts/ imports only zod.' }] }],
    },
  },
  // The other layers, each by allow-list: an import may point down the data flow, never up or sideways.
  ...Object.entries(LAYERS).map(([layer, allowed]) => ({
    files: [`${layer}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: `^(\\.\\./)+(${layersBut([layer, ...allowed])})(/|$)`, message: `${layer}/ may import only ${[layer, ...allowed].join(', ')} (see docs/architecture.md).` }],
      }],
    },
  })),
  {
    // Entry points and config loading are where the environment is read.
    files: ['main.ts', 'runtime/config/**/*.ts', 'runtime/devserver/find-temporal-cli.ts', 'test/**/*.ts', 'bench/**/*.ts', 'agents/remote/reference/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
