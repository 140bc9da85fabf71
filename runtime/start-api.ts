import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { RecoveringChannelModel } from 'amqplib';
import type { Redis } from 'ioredis';
import type { AgentRegistry } from '../agents/registry.js';
import { createApp } from '../api/app.js';
import { FeedHub } from '../api/sse/report-feed.js';
import { fanOutObserver } from '../api/sse/fan-out-observer.js';
import { CommandGateway } from '../api/temporal/command-gateway.js';
import { StalledCommandsWatch } from '../api/temporal/stalled-commands.js';
import { ClosedCommandsReconciler } from '../api/temporal/closed-commands.js';
import { PeriodicChecks } from '../api/temporal/periodic-checks.js';
import { ReportPublisher } from '../infra/messaging/report-publisher.js';
import type { ReportTopology } from '../infra/messaging/report-topology.js';
import { StalledRegistry } from '../infra/store/stalled-registry.js';
import { AuditLog } from '../infra/store/audit-log.js';
import { RefusalBudget } from '../infra/store/refusal-budget.js';
import { StreamTickets } from '../api/auth/stream-tickets.js';
import { TokenStore } from '../api/auth/token-store.js';
import { SseClientLimiter } from '../api/sse/client-limiter.js';
import { assertSafeListen, type Config } from './config/load-config.js';
import type { BlobStore } from '../infra/files/blob-store.js';
import { PortInUseError } from './devserver/port-check.js';
import { checkAmqp } from '../infra/health-checks.js';
import type { Logger } from '../infra/logger.js';
import { createRedis } from '../infra/redis.js';
import { serviceAddress } from '../infra/service-address.js';
import type { NexusMetrics } from '../infra/metrics/nexus-metrics.js';
import { temporalCoreMetricsUrl } from '../infra/temporal-logger.js';
import type { MetricsPart } from '../infra/metrics/metrics-text.js';
import { AskIndex } from '../infra/store/ask-index.js';
import { ApprovalLinks } from '../infra/store/approval-links.js';
import { CommandLedger } from '../infra/store/command-ledger.js';
import { RedisKeys } from '../infra/store/keys.js';
import { StandingApprovals } from '../infra/store/standing-approvals.js';
import { PolicyStore } from '../infra/files/policy-store.js';
import { ReportStore } from '../infra/store/report-store.js';
import { connectionOptions, dataConverter } from '../infra/temporal-options.js';
import type { Trust } from './trust.js';
import { AesGcmPayloadCodec } from '../infra/payload-codec.js';
import { codecOrigins } from '../api/routes/codec.js';
import type { Tracing } from '../infra/tracing/start-tracing.js';
import { clientTracing } from '../infra/tracing/temporal-tracing.js';

export interface ApiRuntime {
  server: ServerType;
  port: number;
  feeds: FeedHub;
  close(): Promise<void>;
}

const TEMPORAL_RPC_TIMEOUT_MS = 10_000;
const OPEN_ASKS_READ_TIMEOUT_MS = 1_000;

/** Builds the API's dependencies from config and serves it; a taken port is a PortInUseError naming PORT. */
export async function startApi(config: Config, deps: {
  redis: Redis; amqp: RecoveringChannelModel; topology: ReportTopology; agents: AgentRegistry; logger: Logger; blobStore: BlobStore; trust: Trust; metrics: NexusMetrics; tracing: Tracing;
  siblingMetrics?: (() => Promise<MetricsPart[]>) | undefined;
}): Promise<ApiRuntime> {
  const { redis, amqp, agents, logger } = deps;
  assertSafeListen(config);
  const tokens = new TokenStore(redis, config.redis.prefix, config.auth.cacheTtlMs);
  const keys = new RedisKeys(config.redis.prefix);
  const store = new ReportStore(redis, keys, config.redis.streamMaxLen);
  const connection = Connection.lazy(connectionOptions(config.temporal));
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(deps.trust.payloadKeys),
    interceptors: { workflow: clientTracing(deps.tracing) },
  });
  const readers = new Set<Redis>();
  const feeds = new FeedHub({
    store,
    openReader: () => {
      const reader = createRedis({ url: config.redis.roleUrls.api, logger, name: 'sse-reader', blocking: true });
      readers.add(reader);
      reader.once('end', () => readers.delete(reader));
      return reader;
    },
    capacity: config.sse.clientBuffer,
    heartbeatMs: config.sse.heartbeatMs,
    logger: logger.child({ module: 'sse' }),
    observer: fanOutObserver(deps.metrics),
  });
  const audit = new AuditLog(redis, config.redis.prefix, logger.child({ module: 'audit' }));
  // Tokens mode only: a local caller already acts in every org, so there is no one else's history to protect, and
  // a budget would only turn a developer's (or the fuzzer's) run of 4xx into 429s.
  const refusalLimit = config.auth.mode === 'tokens' ? config.limits.refusalsPerMin : 0;
  const refusals = new RefusalBudget(redis, keys, audit, refusalLimit, logger.child({ module: 'audit' }));
  // The checks against Temporal report on the stream through RabbitMQ like every other report, so subscribers see
  // them too.
  const publisher = new ReportPublisher(amqp, deps.topology, deps.trust.reportSeal, logger.child({ module: 'publisher' }));
  const stalled = new StalledCommandsWatch(client, config.temporal.taskQueue, logger, { publisher, store, registry: new StalledRegistry(redis, keys) });
  const closed = new ClosedCommandsReconciler(client, config.temporal.taskQueue, logger, { publisher, store });
  const checks = new PeriodicChecks([stalled, closed], config.workflow.stallCheckIntervalMs, logger.child({ module: 'temporal-checks' }));
  checks.start();
  const sseClients = new SseClientLimiter(config.limits.sseClientsPerPrincipal);
  deps.metrics.countStreamsWith(() => sseClients.total);
  deps.metrics.countOpenAsksWith(() => store.countOpenAsks(Date.now()), OPEN_ASKS_READ_TIMEOUT_MS);
  const gateway = new CommandGateway(client, config.temporal.taskQueue, TEMPORAL_RPC_TIMEOUT_MS);
  const app = createApp({
    logger,
    agents,
    gateway,
    ledger: new CommandLedger(redis, keys),
    askIndex: new AskIndex(redis, keys),
    store,
    feeds,
    redis,
    metrics: deps.metrics,
    temporalCoreMetricsUrl: temporalCoreMetricsUrl(),
    ...(deps.siblingMetrics ? { siblingMetrics: deps.siblingMetrics } : {}),
    addresses: {
      redis: serviceAddress(config.redis.roleUrls.api),
      rabbitmq: serviceAddress(config.amqp.roleUrls.api),
      temporal: `${config.temporal.address} (namespace ${config.temporal.namespace})`,
    },
    checkAmqp: () => checkAmqp(amqp),
    settings: {
      ask_timeout_ms: config.workflow.askTimeoutMs,
      agent_timeout_ms: config.workflow.agentTimeoutMs,
      agent_max_attempts: config.workflow.agentMaxAttempts,
      agent_retry_interval_ms: config.workflow.agentRetryIntervalMs,
      plan_revisions: config.workflow.planRevisions,
      llm_timeout_ms: config.llm.timeoutMs,
      remote_heartbeat_timeout_ms: config.remote.heartbeatTimeoutMs,
      agent_heartbeat_timeout_ms: config.workflow.agentHeartbeatTimeoutMs,
      notify_retry_interval_ms: config.notify.retryIntervalMs,
      notify_max_attempts: config.notify.maxAttempts,
    },
    limits: config.limits,
    auth: {
      mode: config.auth.mode,
      tokens,
      tickets: new StreamTickets(redis, config.redis.prefix, tokens, config.auth.ticketTtlMs),
      prefix: config.redis.prefix,
    },
    audit,
    sseClients,
    files: { store: deps.blobStore, maxUploadBytes: config.files.maxUploadBytes },
    sse: { heartbeatMs: config.sse.heartbeatMs, retryMs: config.sse.retryMs },
    temporalUiUrl: config.temporal.uiUrl,
    seal: deps.trust.seal,
    links: { store: new ApprovalLinks(redis, keys), seal: deps.trust.linkSeal, publicUrl: config.http.publicUrl },
    standing: { store: new StandingApprovals(redis, keys), seal: deps.trust.standingSeal, policies: new PolicyStore(config.policy.dir) },
    codec: {
      codec: new AesGcmPayloadCodec(deps.trust.payloadKeys),
      operatorOrg: config.trust.operatorOrg,
      origins: codecOrigins(config.temporal.uiUrl, config.temporal.uiPort),
    },
    temporalNamespace: config.temporal.namespace,
    stalled,
  }, refusals);

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.http.port, hostname: config.http.host });
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(config.http.port, 'PORT') : err),
    );
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  return {
    server,
    port,
    feeds,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      for (const reader of readers) reader.disconnect();
      await refusals.flush();
      await checks.stop();
      await gateway.drain();
      await publisher.close();
      await connection.close();
    },
  };
}
