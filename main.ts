import { assertSafeListen, ConfigError, loadConfig, type Config } from './runtime/config/load-config.js';
import { TemporalCliError } from './runtime/devserver/find-temporal-cli.js';
import { TemporalProbeError } from './runtime/devserver/probe-temporal.js';
import { stopDevServer } from './runtime/devserver/start-dev-server.js';
import { assertPortFree, freePort, PortInUseError } from './runtime/devserver/port-check.js';
import { UnsafePathError } from './infra/files/private-paths.js';
import { createLogger, type Logger } from './infra/logger.js';
import { KeyRingError } from './infra/trust/key-ring.js';
import { installTemporalLogger, temporalCoreMetricsUrl } from './infra/temporal-logger.js';
import { ensureTemporal } from './runtime/ensure-temporal.js';
import { parseLaunch, RoleError, type Role } from './runtime/roles.js';
import { startNexus } from './runtime/start-nexus.js';
import { startTracing } from './infra/tracing/start-tracing.js';
import { printAddresses } from './runtime/print-addresses.js';
import { RoleStartError } from './runtime/supervisor/role-supervisor.js';
import { runSupervised } from './runtime/supervisor/run-supervised.js';
import { SupervisorLink } from './runtime/supervisor/supervisor-link.js';

/** Errors that are the operator's to fix: one line, no stack trace, exit 1. */
const OPERATOR_ERRORS = [ConfigError, PortInUseError, RoleError, TemporalCliError, TemporalProbeError, UnsafePathError, KeyRingError, RoleStartError];
/** A dependency that hangs on close must not keep a stopped process alive. */
const STOP_DEADLINE_MS = 20_000;
/** The supervisor waits out its role processes' own deadline (and kills what is left) before its own. */
const SUPERVISOR_STOP_DEADLINE_MS = 30_000;

async function main(): Promise<void> {
  const launch = parseLaunch(process.argv.slice(2));
  const config = loadConfig();
  if (launch.kind === 'supervisor') return supervise(config, createLogger(config.log.level).child({ nexus_role: 'supervisor' }));
  return runRole(config, launch.role, launch.supervised ? SupervisorLink.open() : undefined);
}

/** `./nexus start`: the Temporal dev server and each role in a process of its own (runtime/supervisor/). */
async function supervise(config: Config, logger: Logger): Promise<void> {
  const { supervisor, devServer } = await runSupervised(config, logger, process.env);
  printAddresses(config, { roles: 'api, worker and bridge, each in a process of its own', serves: true, embeddedTemporal: devServer !== undefined }, logger);
  logger.info({ pids: supervisor.pids() }, 'role processes running');
  onStopSignal(logger, async () => {
    // The roles first (they finish their work and close their connections), the dev server they used last.
    await supervisor.stop(STOP_DEADLINE_MS + 2_000);
    if (devServer) await stopDevServer(devServer);
  }, () => devServer?.kill('SIGKILL'), SUPERVISOR_STOP_DEADLINE_MS);
}

/** One role, or every role (`--role all`), in this process; `link`: started by `./nexus start`. */
async function runRole(config: Config, role: Role, link: SupervisorLink | undefined): Promise<void> {
  const logger = createLogger(config.log.level).child({ nexus_role: role });
  // A worker's Temporal core serves its own metrics on a loopback port; /metrics includes them.
  installTemporalLogger(logger, role === 'all' || role === 'worker' ? { metricsPort: await freePort() } : {});

  // Checked before anything starts, so a taken port (or local mode on a public address) costs one line and no cleanup.
  if (role === 'all' || role === 'api') assertSafeListen(config);
  if (role === 'all' || role === 'api') await assertPortFree(config.http.port, 'PORT', config.http.host);
  const devServer = role === 'all' || role === 'worker' ? await ensureTemporal(config, logger) : undefined;
  const tracing = startTracing(config.tracing, role, logger);
  let nexus;
  try {
    nexus = await startNexus(config, { role, logger, tracing, ...(link && role === 'api' ? { siblingMetrics: () => link.siblingMetrics() } : {}) });
  } catch (err) {
    if (devServer) await stopDevServer(devServer);
    throw err;
  }

  const serves = role === 'all' || role === 'api';
  if (link) {
    // The supervisor prints the addresses once for every role; a role process says it is ready, and answers for its
    // metrics.
    link.answerMetrics(nexus.metrics, temporalCoreMetricsUrl);
    link.ready();
  } else {
    printAddresses(config, { roles: `role: ${role}`, serves, embeddedTemporal: devServer !== undefined }, logger);
  }
  const stop = onStopSignal(logger, async () => {
    await nexus.stop().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'stopping NEXUS failed'));
    // The last spans (this shutdown's included) are sent before the process goes.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'sending the last spans failed'));
    if (devServer) await stopDevServer(devServer);
  }, () => devServer?.kill('SIGKILL'));
  // A role process never outlives the `./nexus start` that started it, even one killed with SIGKILL.
  link?.onSupervisorGone(() => stop('supervisor gone'));
}

/** Stops on SIGINT/SIGTERM (or when the returned function is called), once, within `deadlineMs`; then exits. */
function onStopSignal(logger: Logger, stopAll: () => Promise<void>, killNow: () => void, deadlineMs = STOP_DEADLINE_MS): (reason: string) => void {
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    setTimeout(() => {
      killNow();
      process.exit(1);
    }, deadlineMs).unref();
    void stopAll().then(() => {
      logger.info({ signal: reason }, 'stopped');
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return stop;
}

main().catch((err: unknown) => {
  const known = OPERATOR_ERRORS.some((type) => err instanceof type);
  process.stderr.write(`nexus: ${known ? '' : 'start-up failed: '}${(err as Error).message}\n`);
  process.exit(1);
});
