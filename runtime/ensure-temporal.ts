import type { ChildProcess } from 'node:child_process';
import type { Config } from './config/load-config.js';
import { findTemporalCli } from './devserver/find-temporal-cli.js';
import { isListening } from './devserver/port-check.js';
import { probeTemporal } from './devserver/probe-temporal.js';
import { startDevServer } from './devserver/start-dev-server.js';
import type { Logger } from '../infra/logger.js';
import { isLoopback } from '../contracts/loopback.js';


/**
 * Uses a Temporal server that already answers at TEMPORAL_ADDRESS, once it has shown it is one, with NEXUS's
 * namespace (runtime/devserver/probe-temporal.ts); otherwise, for a local address, starts the
 * dev server (NEXUS_START_TEMPORAL=never turns this off). Returns the child it started, if any.
 */
export async function ensureTemporal(config: Config, logger: Logger): Promise<ChildProcess | undefined> {
  const { address, startDevServer: mode } = config.temporal;
  const [host = '127.0.0.1', portText = '7233'] = address.split(':');
  const port = Number(portText);
  if (mode === 'never') return undefined;
  if (mode === 'auto' && (await isListening(host, port))) {
    await probeTemporal(config.temporal);
    logger.info({ address, namespace: config.temporal.namespace }, 'using the Temporal server already running at TEMPORAL_ADDRESS');
    return undefined;
  }
  // 0.0.0.0 is this machine too: a dev server can be started to listen there.
  if (!isLoopback(host) && host !== '0.0.0.0') {
    logger.info({ address }, 'TEMPORAL_ADDRESS is remote; waiting for it rather than starting a dev server');
    return undefined;
  }
  const cliPath = findTemporalCli(config.temporal.cliPath, logger);
  return startDevServer({
    cliPath,
    host: host === 'localhost' ? '127.0.0.1' : host,
    port,
    uiPort: config.temporal.uiPort,
    codecEndpoint: `${config.http.publicUrl}/codec`,
    namespace: config.temporal.namespace,
    dataDir: config.temporal.dataDir,
    logger,
  });
}
