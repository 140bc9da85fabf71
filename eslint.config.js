import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

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
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read config once in config/load-config.ts and pass it in.' }],
    },
  },
  {
    // Workflows must be deterministic: only the workflow SDK, contracts and type-only imports of activities.
    files: ['workflows/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^node:', message: 'No Node built-ins in workflow code.' },
          { regex: '^(ioredis|amqplib|hono|@hono/.*|pino|zod|@anthropic-ai/sdk|@temporalio/(client|worker|activity))$', message: 'No I/O libraries (or zod, which bloats every run) in workflow code.' },
          { regex: '^\\.\\./(api|bridge|worker|runtime|store|messaging|infra|agents|config|devserver)/', message: 'Workflows import only @temporalio/workflow and contracts/.' },
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
  {
    // Entry points and config loading are where the environment is read.
    files: ['main.ts', 'config/**/*.ts', 'devserver/find-temporal-cli.ts', 'test/**/*.ts', 'bench/**/*.ts', 'remote-agents/**/*.ts'],
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
