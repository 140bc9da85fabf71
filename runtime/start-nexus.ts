import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { AgentRegistry, builtInAgents } from '../agents/registry.js';
import type { Agent } from '../agents/agent.js';
import { ReportBridge } from '../bridge/report-bridge.js';
import type { Config } from './config/load-config.js';
import { privateDir } from '../infra/files/private-paths.js';
import type { Logger } from '../infra/logger.js';
import type { Redis } from '../infra/redis.js';
import { RoleClients } from './role-clients.js';
import { openBlobStore } from './open-blob-store.js';
import { ReportPublisher } from '../infra/messaging/report-publisher.js';
import { serviceAddress } from '../infra/service-address.js';
import { NexusMetrics } from '../infra/metrics/nexus-metrics.js';
import { serveMetrics } from '../infra/metrics/serve-metrics.js';
import { checkAmqp, runChecks, type HealthCheck } from '../infra/health-checks.js';
import { temporalCoreMetricsUrl } from '../infra/temporal-logger.js';
import { RedisKeys } from '../infra/store/keys.js';
import { ReportStore } from '../infra/store/report-store.js';
import { startWorker } from './worker/start-worker.js';
import { createLlmRouter } from './create-llm-router.js';
import { PolicyStore } from '../infra/files/policy-store.js';
import { StandingApprovals } from '../infra/store/standing-approvals.js';
import { AsyncCompletionClient, Client, Connection } from '@temporalio/client';
import { temporalResultLookup } from '../agents/report-summarize/temporal-result-lookup.js';
import { startRemoteAgents, type RemoteAgents } from '../agents/remote/start-remote-agents.js';
import { remoteTopology } from '../agents/remote/remote-topology.js';
import type { Role } from './roles.js';
import { loadTrust } from './trust.js';
import { AuditLog } from '../infra/store/audit-log.js';
import { ApprovalUses } from '../infra/store/approval-uses.js';
import { ApprovalLinks } from '../infra/store/approval-links.js';
import { AskIndex } from '../infra/store/ask-index.js';
import { SmtpSender } from '../activities/notify/smtp-sender.js';
import { SensAlimtalkClient } from '../agents/student-excel-kakao/sens-alimtalk-client.js';
import { completeSensSettings } from '../agents/student-excel-kakao/student-excel-kakao-agent.js';
import { RefusalBudget } from '../infra/store/refusal-budget.js';
import { connectionOptions, dataConverter } from '../infra/temporal-options.js';
import { startApi, type ApiRuntime } from './start-api.js';
import { TRACING_OFF, type Tracing } from '../infra/tracing/start-tracing.js';
import type { MetricsPart } from '../infra/metrics/metrics-text.js';

/** Refused decisions of one workflow audited one by one per minute; the org's share is NEXUS_REFUSAL_LIMIT_PER_MIN. */
export const DECISION_REFUSALS_PER_WORKFLOW_PER_MIN = 10;
/** Refused (unsealed or forged) reports audited one by one per minute in the security log; then counted. */
export const REFUSED_REPORTS_PER_MIN = 20;
/** Activities refused for unencrypted input audited one by one per minute in the security log; then counted. */
export const REFUSED_PAYLOADS_PER_MIN = 20;

export interface NexusOptions {
  role: Role;
  logger: Logger;
  /** Agents beyond the built-in ones (tests add failing or slow agents here). */
  extraAgents?: Agent[];
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Registered once per process (startTracing); off when absent. */
  tracing?: Tracing;
  /** Under `./nexus start`: the other role processes' metrics, for this API's `/metrics`. */
  siblingMetrics?: () => Promise<MetricsPart[]>;
}

export interface NexusRuntime {
  api: ApiRuntime | undefined;
  agents: AgentRegistry;
  metrics: NexusMetrics;
  stop(): Promise<void>;
}

/** Starts the roles asked for in this process, each with the clients it needs and nothing more. */
export async function startNexus(config: Config, options: NexusOptions): Promise<NexusRuntime> {
  const { role, logger } = options;
  const tracing = options.tracing ?? TRACING_OFF;
  const has = (r: Exclude<Role, 'all'>) => role === 'all' || role === r;
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const fn of stops) await fn().catch(() => undefined);
  };

  const metrics = new NexusMetrics(role);
  // What `GET /health` on the metrics port checks: each role adds its dependencies once it runs.
  const roleChecks: Record<string, HealthCheck> = {};
  try {
    if (config.metrics.port !== undefined) {
      const server = await serveMetrics(metrics, temporalCoreMetricsUrl(), config.http.host, config.metrics.port, logger, () => runChecks(roleChecks));
      stops.push(() => new Promise((resolve) => {
        server.close(resolve);
        // A scraper's kept-alive connection would hold close() open until it idles out.
        server.closeAllConnections();
      }));
    }
    // Each role signs in with its own login (config.*.roleUrls); roles that share a login share the client.
    const clients = new RoleClients(config, logger, stops);
    const redis = {
      api: has('api') ? await clients.redis('api') : undefined,
      // The worker needs Redis too: student.excel_kakao keeps its delivery ledger there.
      worker: has('worker') ? await clients.redis('worker') : undefined,
      bridge: has('bridge') ? await clients.redis('bridge') : undefined,
    };
    const amqp = {
      api: has('api') ? await clients.amqp('api') : undefined,
      worker: has('worker') ? await clients.amqp('worker') : undefined,
    };
    // Keys, uploads and Temporal's database live under the data folder: this user's alone.
    privateDir(config.temporal.dataDir);
    // API and worker must see the same files: one folder on one machine (or a shared volume), a bucket across machines.
    // A bridge alone never touches files, so it needs no reach to (or key for) the bucket.
    const blobStore = await openBlobStore(config.files, { check: has('api') || has('worker') });
    const topology = { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue };
    const policies = new PolicyStore(config.policy.dir);
    // One lazy client connection for what this process asks Temporal directly (earlier results, async completion).
    const trust = loadTrust(config, logger);
    const temporalConnection = Connection.lazy(connectionOptions(config.temporal));
    stops.push(() => temporalConnection.close());
    const temporalClient = new Client({ connection: temporalConnection, namespace: config.temporal.namespace, dataConverter: dataConverter(trust.payloadKeys) });
    const agents = new AgentRegistry([
      ...builtInAgents({
        shareAllowlist: config.agents.shareAllowlist,
        share: {
          ...config.agents.share,
          tenantAllowlist: async (tenant) => (await policies.forTenant(tenant)).share_allowlist,
        },
        studentKakao: {
          blobStore,
          sens: config.sens,
          ledgerRedis: redis.worker ? { redis: redis.worker, prefix: config.redis.prefix } : undefined,
        },
        lookupResult: temporalResultLookup(temporalClient),
      }),
      ...(options.extraAgents ?? []),
    ]);

    const remoteNames = remoteTopology(config.remote.prefix);
    let remote: RemoteAgents | undefined;
    if (has('api') || has('worker')) {
      // The worker completes remote tasks asynchronously; the API only needs the catalog of announced agents.
      const started = await startRemoteAgents({
        // The worker's login may publish tasks and read replies; the API's only reads the catalog.
        url: config.amqp.roleUrls[has('worker') ? 'worker' : 'api'],
        topology: remoteNames,
        logger,
        ...(has('worker') ? { completion: new AsyncCompletionClient({ connection: temporalConnection, namespace: config.temporal.namespace, dataConverter: dataConverter(trust.payloadKeys) }) } : {}),
      });
      remote = started;
      agents.useRemoteAgents(started.directory);
      stops.unshift(() => started.close());
    }

    // The bridge audits accepted commands, the worker decision verdicts: one log per org for both.
    const auditOf = (client: Redis) => new AuditLog(client, config.redis.prefix, logger.child({ module: 'audit' }));
    const keys = new RedisKeys(config.redis.prefix);
    if (redis.bridge) {
      const audit = auditOf(redis.bridge);
      const store = new ReportStore(redis.bridge, keys, config.redis.streamMaxLen, config.redis.replicaAcks);
      const refusals = new RefusalBudget(redis.bridge, keys, audit, REFUSED_REPORTS_PER_MIN, logger.child({ module: 'audit' }));
      const bridge = new ReportBridge({ amqpUrl: config.amqp.roleUrls.bridge, topology, prefetch: config.amqp.prefetch, store, redisAddress: serviceAddress(config.redis.roleUrls.bridge), metrics, audit, seal: trust.reportSeal, refusals, logger });
      stops.unshift(async () => {
        await bridge.stop();
        // A summary still owed for refused reports is written now, not lost with the process.
        await refusals.flush();
      });
      await bridge.start();
      const bridgeRedis = redis.bridge;
      roleChecks['bridge.redis'] = () => bridgeRedis.ping().then(() => undefined);
      roleChecks['bridge.rabbitmq'] = () => bridge.check();
    }
    if (redis.worker && amqp.worker) {
      const audit = auditOf(redis.worker);
      const publisher = new ReportPublisher(amqp.worker, topology, trust.reportSeal, logger.child({ module: 'publisher' }));
      // Forged decisions reach the worker from anyone on Temporal's port, in any auth mode: always bounded.
      const decisionRefusals = {
        perWorkflow: new RefusalBudget(redis.worker, keys, audit, DECISION_REFUSALS_PER_WORKFLOW_PER_MIN, logger.child({ module: 'audit' })),
        perOrg: new RefusalBudget(redis.worker, keys, audit, config.limits.refusalsPerMin, logger.child({ module: 'audit' })),
      };
      const payloadRefusals = new RefusalBudget(redis.worker, keys, audit, REFUSED_PAYLOADS_PER_MIN, logger.child({ module: 'audit' }));
      const { smtp } = config.notify;
      const mail = smtp ? new SmtpSender({ ...smtp, timeoutMs: config.notify.timeoutMs }) : undefined;
      if (mail) stops.push(async () => mail.close());
      // Approval notices on KakaoTalk need every SENS setting and the approval template; without them, none is sent.
      const noticeSens = completeSensSettings(config.sens, config.sens.notifyTemplateCode, 'SENS_NOTIFY_TEMPLATE_CODE');
      const alimtalk = 'missing' in noticeSens ? undefined : { client: new SensAlimtalkClient(noticeSens), templateCode: noticeSens.templateCode };
      const { worker, connection, done } = await startWorker({
        target: config.temporal,
        payloadKeys: trust.payloadKeys,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        activities: {
          publisher,
          agents,
          logger,
          policies,
          llm: createLlmRouter(config.llm, logger),
          planAttempts: config.llm.planAttempts,
          blobStore,
          remoteTopology: remoteNames,
          seal: trust.seal,
          audit,
          approvalUses: new ApprovalUses(redis.worker, keys),
          standing: { store: new StandingApprovals(redis.worker, keys), seal: trust.standingSeal },
          decisionRefusals,
          payloadRefusals,
          notify: {
            // The worker holds the decision keys already; making a link gives it nothing it could not sign itself.
            links: { store: new ApprovalLinks(redis.worker, keys), seal: trust.linkSeal, publicUrl: config.http.publicUrl },
            asks: new AskIndex(redis.worker, keys),
            authMode: config.auth.mode,
            webhookSecret: config.notify.webhookSecret,
            mail,
            alimtalk,
            timeoutMs: config.notify.timeoutMs,
          },
          ...(remote ? { remote: remote.publisher } : {}),
        },
        logger,
        tracing,
        ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
      });
      const workerRedis = redis.worker;
      const workerAmqp = amqp.worker;
      roleChecks['worker.temporal'] = async () => {
        if (worker.getState() !== 'RUNNING') throw new Error(`the Temporal worker is ${worker.getState()}`);
      };
      roleChecks['worker.redis'] = () => workerRedis.ping().then(() => undefined);
      roleChecks['worker.rabbitmq'] = () => checkAmqp(workerAmqp);
      stops.unshift(async () => {
        worker.shutdown();
        await done.catch(() => undefined);
        await connection.close();
        await publisher.close();
        await decisionRefusals.perWorkflow.flush();
        await decisionRefusals.perOrg.flush();
        await payloadRefusals.flush();
      });
    }
    let api: ApiRuntime | undefined;
    if (redis.api && amqp.api) {
      const started = await startApi(config, { redis: redis.api, amqp: amqp.api, topology, agents, logger, blobStore, trust, metrics, tracing, siblingMetrics: options.siblingMetrics });
      api = started;
      stops.unshift(() => started.close());
    }
    return { api, agents, metrics, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
