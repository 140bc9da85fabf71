import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.tools/**'],
    globalSetup: ['test/support/temporal-test-server.ts', 'test/support/redis-cluster-setup.ts'],
    // Files boot a whole NEXUS each (worker, bridge, API); on two cores they run one at a time so that timings
    // inside a test never depend on what another file is doing.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
  },
});
