import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from '../runtime/devserver/find-temporal-cli.js';
import { DEV_SERVER_SPEED_ARGS } from '../runtime/devserver/start-dev-server.js';
import { isListening } from '../runtime/devserver/port-check.js';
import type { Logger } from '../infra/logger.js';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

export interface BenchTemporal {
  address: string;
  /** Which server was measured; it matters when comparing runs. */
  kind: 'existing' | 'ephemeral';
  stop(): Promise<void>;
}

/**
 * Uses the Temporal server at TEMPORAL_ADDRESS when one answers; otherwise an ephemeral dev server (in-memory,
 * its own free port) that lives exactly as long as the run, so the bench never leaves a server behind.
 */
export async function ensureBenchTemporal(logger: Logger): Promise<BenchTemporal> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const [host = '127.0.0.1', port = '7233'] = address.split(':');
  if (await isListening(host, Number(port))) {
    return { address, kind: 'existing', stop: async () => undefined };
  }
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH, logger);
  const env = await TestWorkflowEnvironment.createLocal({
    // Tuned like the embedded server (`./nexus start`), so NEXUS and the baseline are measured on what users run.
    server: { executable: { type: 'existing-path', path: cli }, searchAttributes: ALL_SEARCH_ATTRIBUTES, ip: '127.0.0.1', log: { format: 'json', level: 'error' }, extraArgs: [...DEV_SERVER_SPEED_ARGS] },
  });
  return { address: env.address, kind: 'ephemeral', stop: () => env.teardown() };
}
