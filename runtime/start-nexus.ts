import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { AgentRegistry, builtInAgents } from '../agents/registry.js';
import type { Agent } from '../agents/agent.js';
import { ReportBridge } from '../bridge/report-bridge.js';
import type { Config } from '../config/load-config.js';
import { connectAmqp } from '../infra/amqp.js';
import type { Logger } from '../infra/logger.js';
import { createRedis, waitForRedis } from '../infra/redis.js';
import { ReportPublisher } from '../messaging/report-publisher.js';
import { RedisKeys } from '../store/keys.js';
import { ReportStore } from '../store/report-store.js';
import { startWorker } from '../worker/start-worker.js';
import { createLlmRouter } from '../llm/create-llm-router.js';
import { PolicyStore } from '../policy/policy-store.js';
import type { Role } from './roles.js';
import { startApi, type ApiRuntime } from './start-api.js';

export interface NexusOptions {
  role: Role;
  logger: Logger;
  /** Agents beyond the built-in ones (tests add failing or slow agents here). */
  extraAgents?: Agent[];
  workflowBundle?: WorkflowBundleWithSourceMap;
}

export interface NexusRuntime {
  api: ApiRuntime | undefined;
  agents: AgentRegistry;
  stop(): Promise<void>;
}

/** Starts the roles asked for in this process, each with the clients it needs and nothing more. */
export async function startNexus(config: Config, options: NexusOptions): Promise<NexusRuntime> {
  const { role, logger } = options;
  const has = (r: Exclude<Role, 'all'>) => role === 'all' || role === r;
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const fn of stops) await fn().catch(() => undefined);
  };

  try {
    const redis = has('api') || has('bridge') ? createRedis({ url: config.redis.url, logger, name: role }) : undefined;
    if (redis) {
      stops.push(() => redis.quit());
      await waitForRedis(redis);
    }
    const amqp = has('api') || has('worker') ? await connectAmqp({ url: config.amqp.url, logger, name: role }) : undefined;
    if (amqp) {
      stops.push(() => amqp.close());
      await amqp.waitForConnect();
    }
    const topology = { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue };
    const agents = new AgentRegistry([
      ...builtInAgents({ shareAllowlist: config.agents.shareAllowlist }),
      ...(options.extraAgents ?? []),
    ]);

    if (has('bridge') && redis) {
      const store = new ReportStore(redis, new RedisKeys(config.redis.prefix), config.redis.streamMaxLen);
      const bridge = new ReportBridge({ amqpUrl: config.amqp.url, topology, prefetch: config.amqp.prefetch, store, logger });
      stops.unshift(() => bridge.stop());
      await bridge.start();
    }
    if (has('worker') && amqp) {
      const publisher = new ReportPublisher(amqp, topology, logger.child({ module: 'publisher' }));
      const { worker, connection, done } = await startWorker({
        address: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        activities: {
          publisher,
          agents,
          logger,
          policies: new PolicyStore(config.policy.dir),
          llm: createLlmRouter(config.llm, logger),
          planAttempts: config.llm.planAttempts,
        },
        logger,
        ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
      });
      stops.unshift(async () => {
        worker.shutdown();
        await done.catch(() => undefined);
        await connection.close();
        await publisher.close();
      });
    }
    let api: ApiRuntime | undefined;
    if (has('api') && redis && amqp) {
      const started = await startApi(config, { redis, amqp, agents, logger });
      api = started;
      stops.unshift(() => started.close());
    }
    return { api, agents, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
