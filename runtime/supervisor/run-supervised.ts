import type { ChildProcess } from 'node:child_process';
import type { ServiceRole } from '../../contracts/index.js';
import { privateDir } from '../../infra/files/private-paths.js';
import type { Logger } from '../../infra/logger.js';
import { assertSafeListen, type Config } from '../config/load-config.js';
import { assertPortFree } from '../devserver/port-check.js';
import { stopDevServer } from '../devserver/start-dev-server.js';
import { ensureTemporal } from '../ensure-temporal.js';
import { loadTrust } from '../trust.js';
import { RoleSupervisor } from './role-supervisor.js';

const ROLES: readonly ServiceRole[] = ['bridge', 'worker', 'api'];

export interface Supervised {
  supervisor: RoleSupervisor;
  devServer: ChildProcess | undefined;
}

/**
 * What `./nexus start` does before and around its role processes: the checks that cost one line (a taken port,
 * local mode on a public address), the data folder and generated keys (made once here, not raced for by three
 * processes), the Temporal dev server (this process's child, stopped last), then the roles, each with `env` (this
 * process's environment) as its own.
 */
export async function runSupervised(config: Config, logger: Logger, env: NodeJS.ProcessEnv): Promise<Supervised> {
  assertSafeListen(config);
  await assertPortFree(config.http.port, 'PORT', config.http.host);
  privateDir(config.temporal.dataDir);
  loadTrust(config, logger);
  const devServer = await ensureTemporal(config, logger);
  const supervisor = new RoleSupervisor({
    roles: ROLES,
    envFor: (role) => roleEnv(env, role),
    logger,
    stdout: (lines) => process.stdout.write(lines),
    stderr: (lines) => process.stderr.write(lines),
  });
  try {
    await supervisor.start();
  } catch (err) {
    if (devServer) await stopDevServer(devServer);
    throw err;
  }
  return { supervisor, devServer };
}

/**
 * A role process's environment: the supervisor's, with Temporal already seen to (the dev server is the
 * supervisor's), and `NEXUS_METRICS_PORT` for the worker alone (one process can hold a port; the API's `/metrics` on
 * PORT has every role's anyway).
 */
export function roleEnv(env: NodeJS.ProcessEnv, role: ServiceRole): NodeJS.ProcessEnv {
  const own: NodeJS.ProcessEnv = { ...env, NEXUS_START_TEMPORAL: 'never' };
  if (role !== 'worker') delete own.NEXUS_METRICS_PORT;
  return own;
}
