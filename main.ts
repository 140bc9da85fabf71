import type { ChildProcess } from 'node:child_process';
import { builtInAgents, AgentRegistry } from './agents/registry.js';
import { ReportBridge } from './bridge/report-bridge.js';
import { ConfigError, loadConfig, type Config } from './config/load-config.js';
import { assertPortFree, PortInUseError } from './devserver/port-check.js';
import { TemporalCliError } from './devserver/find-temporal-cli.js';
import { connectAmqp } from './infra/amqp.js';
import { createLogger, type Logger } from './infra/logger.js';
import { createRedis, waitForRedis } from './infra/redis.js';
import { installTemporalLogger } from './infra/temporal-logger.js';
import { ReportPublisher } from './messaging/report-publisher.js';
import { ensureTemporal } from './runtime/ensure-temporal.js';
import { parseRole, RoleError, type Role } from './runtime/roles.js';
import { startApi } from './runtime/start-api.js';
import { RedisKeys } from './store/keys.js';
import { ReportStore } from './store/report-store.js';
import { startWorker } from './worker/start-worker.js';

/** Errors that are the operator's to fix: one line, no stack trace, exit 1. */
const OPERATOR_ERRORS = [ConfigError, PortInUseError, RoleError, TemporalCliError];

async function main(): Promise<void> {
  const role = parseRole(process.argv.slice(2));
  const config = loadConfig();
  const logger = createLogger(config.log.level);
  installTemporalLogger(logger);
  const has = (r: Exclude<Role, 'all'>) => role === 'all' || role === r;
  const stops: Array<() => Promise<unknown> | void> = [];

  if (has('api')) await assertPortFree(config.http.port, 'PORT', config.http.host);
  let devServer: ChildProcess | undefined;
  if (has('worker')) {
    devServer = await ensureTemporal(config, logger);
    if (devServer) stops.push(() => void devServer?.kill('SIGTERM'));
  }

  const redis = has('api') || has('bridge') ? createRedis({ url: config.redis.url, logger, name: role }) : undefined;
  if (redis) {
    await waitForRedis(redis);
    stops.push(() => redis.quit());
  }
  const amqp = has('api') || has('worker') ? await connectAmqp({ url: config.amqp.url, logger, name: role }) : undefined;
  if (amqp) {
    await amqp.waitForConnect();
    stops.push(() => amqp.close());
  }
  const topology = { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue };
  const agents = new AgentRegistry(builtInAgents({ shareAllowlist: config.agents.shareAllowlist }));

  if (has('bridge') && redis) {
    const store = new ReportStore(redis, new RedisKeys(config.redis.prefix), config.redis.streamMaxLen);
    const bridge = new ReportBridge({ amqpUrl: config.amqp.url, topology, prefetch: config.amqp.prefetch, store, logger });
    await bridge.start();
    stops.unshift(() => bridge.stop());
  }
  if (has('worker') && amqp) {
    const publisher = new ReportPublisher(amqp, topology, logger.child({ module: 'publisher' }));
    const { worker, done } = await startWorker({
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      publisher,
      agents,
      logger,
    });
    stops.unshift(async () => {
      worker.shutdown();
      await done;
    });
  }
  if (has('api') && redis && amqp) {
    const api = await startApi(config, { redis, amqp, agents, logger });
    stops.unshift(() => api.close());
  }

  printAddresses(config, role, logger);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    for (const stop of stops) await Promise.resolve(stop()).catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function printAddresses(config: Config, role: Role, logger: Logger): void {
  const base = config.http.publicUrl;
  const lines = [
    `NEXUS is running (role: ${role})`,
    ...(role === 'all' || role === 'api'
      ? [`  Dashboard:       ${base}/ui`, `  API:             ${base}  (health: ${base}/health)`]
      : []),
    `  Temporal Web UI: http://localhost:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows`,
  ];
  logger.info({ dashboard: `${base}/ui`, api: base, temporal_ui: `http://localhost:${config.temporal.uiPort}` }, 'nexus started');
  process.stderr.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  if (OPERATOR_ERRORS.some((type) => err instanceof type)) {
    process.stderr.write(`nexus: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`nexus: start-up failed: ${(err as Error).message}\n`);
  }
  process.exit(1);
});
