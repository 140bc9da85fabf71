import { assertSafeListen, ConfigError, loadConfig, type Config } from './runtime/config/load-config.js';
import { TemporalCliError } from './runtime/devserver/find-temporal-cli.js';
import { TemporalProbeError } from './runtime/devserver/probe-temporal.js';
import { stopDevServer } from './runtime/devserver/start-dev-server.js';
import { assertPortFree, freePort, PortInUseError } from './runtime/devserver/port-check.js';
import { UnsafePathError } from './infra/files/private-paths.js';
import { createLogger, type Logger } from './infra/logger.js';
import { KeyRingError } from './infra/trust/key-ring.js';
import { installTemporalLogger } from './infra/temporal-logger.js';
import { ensureTemporal } from './runtime/ensure-temporal.js';
import { parseRole, RoleError, type Role } from './runtime/roles.js';
import { startNexus } from './runtime/start-nexus.js';
import { startTracing } from './infra/tracing/start-tracing.js';

/** Errors that are the operator's to fix: one line, no stack trace, exit 1. */
const OPERATOR_ERRORS = [ConfigError, PortInUseError, RoleError, TemporalCliError, TemporalProbeError, UnsafePathError, KeyRingError];

async function main(): Promise<void> {
  const role = parseRole(process.argv.slice(2));
  const config = loadConfig();
  const logger = createLogger(config.log.level);
  // A worker's Temporal core serves its own metrics on a loopback port; /metrics includes them.
  installTemporalLogger(logger, role === 'all' || role === 'worker' ? { metricsPort: await freePort() } : {});

  // Checked before anything starts, so a taken port (or local mode on a public address) costs one line and no cleanup.
  if (role === 'all' || role === 'api') assertSafeListen(config);
  if (role === 'all' || role === 'api') await assertPortFree(config.http.port, 'PORT', config.http.host);
  const devServer = role === 'all' || role === 'worker' ? await ensureTemporal(config, logger) : undefined;
  const tracing = startTracing(config.tracing, role, logger);
  let nexus;
  try {
    nexus = await startNexus(config, { role, logger, tracing });
  } catch (err) {
    if (devServer) await stopDevServer(devServer);
    throw err;
  }

  printAddresses(config, role, logger, devServer !== undefined);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // A dependency that hangs on close must not keep a stopped process alive; the dev server is stopped either way.
    setTimeout(() => {
      devServer?.kill('SIGKILL');
      process.exit(1);
    }, 20_000).unref();
    await nexus.stop().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'stopping NEXUS failed'));
    // The last spans (this shutdown's included) are sent before the process goes.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'sending the last spans failed'));
    if (devServer) await stopDevServer(devServer);
    logger.info({ signal }, 'stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function printAddresses(config: Config, role: Role, logger: Logger, embeddedTemporal: boolean): void {
  const base = config.http.publicUrl;
  const temporalUi = `http://localhost:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows`;
  const lines = [
    `NEXUS is running (role: ${role})`,
    ...(role === 'all' || role === 'api'
      ? [`  Dashboard:       ${base}/ui`, `  API:             ${base}  (health: ${base}/health)`]
      : []),
    // The embedded server's UI has no login and can send updates (they run nothing without a NEXUS proof): it is
    // for this machine only, and says so.
    `  Temporal Web UI: ${temporalUi}${embeddedTemporal ? `  (embedded dev server: listening on ${config.temporal.address.split(':')[0]} only, no login)` : ''}`,
  ];
  if (role === 'all' || role === 'api') {
    lines.push(config.auth.mode === 'local'
      ? `  Auth:            local mode: trusting x-org-id/x-project-id headers, listening on ${config.http.host} only`
      : '  Auth:            API tokens (create one with: npm run token -- create --org <org> --projects <p,…|*> --roles <roles>)');
  }
  logger.info({ role, dashboard: `${base}/ui`, api: base, temporal_ui: temporalUi, auth: config.auth.mode }, 'nexus started');
  if (config.auth.mode === 'local' && (role === 'all' || role === 'api')) {
    logger.warn({ host: config.http.host }, `local mode: trusting x-org-id/x-project-id headers, listening on ${config.http.host} only`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  const known = OPERATOR_ERRORS.some((type) => err instanceof type);
  process.stderr.write(`nexus: ${known ? '' : 'start-up failed: '}${(err as Error).message}\n`);
  process.exit(1);
});
