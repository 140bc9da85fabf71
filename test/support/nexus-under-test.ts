import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import amqplib from 'amqplib';
import { redisClient, waitForRedis, type Redis } from '../../infra/redis.js';
import { deleteKeysUnder } from '../../infra/store/delete-prefix.js';
import { pino } from 'pino';
import { inject } from 'vitest';
import type { Agent } from '../../agents/agent.js';
import { loadConfig, type Config } from '../../runtime/config/load-config.js';
import { createLogger, type Logger } from '../../infra/logger.js';
import { dataConverter } from '../../infra/temporal-options.js';
import { installTemporalLogger } from '../../infra/temporal-logger.js';
import type { Role } from '../../runtime/roles.js';
import { isListening } from '../../runtime/devserver/port-check.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { spawnRole as spawnNexusRole } from '../../runtime/spawn-role.js';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../../runtime/worker/start-worker.js';
import { executionsOn, replayWorkflows } from './replay-check.js';

// A cluster's when the run asked for one (NEXUS_TEST_REDIS=cluster, test/support/redis-cluster-setup.ts).
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A ready client for the tests' Redis, one server or a cluster (its nodes known), as NEXUS itself would connect. */
export async function testRedis(): Promise<Redis> {
  const redis = redisClient(REDIS_URL, { maxRetriesPerRequest: 2 });
  await waitForRedis(redis);
  return redis;
}

/** Names no other test file (or install) uses: key prefix, exchange, queue, task queue. */
export function isolatedEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const id = `${name}-${randomUUID().slice(0, 8)}`;
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL,
    AMQP_URL,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `nexus-test-${id}`,
    NEXUS_START_TEMPORAL: 'never',
    NEXUS_REDIS_PREFIX: `test:${id}:`,
    NEXUS_REPORTS_EXCHANGE: `nexus.test.${id}.reports`,
    NEXUS_BRIDGE_QUEUE: `nexus.test.${id}.bridge`,
    NEXUS_SSE_HEARTBEAT: '1s',
    NEXUS_SSE_RETRY: '500ms',
    NEXUS_AGENT_RETRY_INTERVAL: '100ms',
    LOG_LEVEL: 'debug',
    // Per-file keys: the API signs decisions and both sides encrypt payloads with them.
    NEXUS_DECISION_KEYS: `test-decision:${randomBytes(32).toString('base64')}`,
    NEXUS_PAYLOAD_KEYS: `test-payload:${randomBytes(32).toString('base64')}`,
    ...extra,
  };
}

export function testLogger(env: Record<string, string>): { logger: Logger; logFile: string } {
  mkdirSync('test-artifacts/logs', { recursive: true });
  const logFile = `test-artifacts/logs/${env.TEMPORAL_TASK_QUEUE}.log`;
  const logger = createLogger('debug', pino.destination({ dest: logFile, sync: true }));
  installTemporalLogger(logger);
  return { logger, logFile };
}

/**
 * Bundles a workflows module without the bundler's progress output. A bundle a NEXUS worker runs carries
 * WORKFLOW_INTERCEPTOR_MODULES; somebody else's worker (a rogue's) runs without them.
 */
export function bundleWorkflows(workflowsPath: string, workflowInterceptorModules: string[] = []): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundled once per test file (each file is its own process), shared by every worker it starts. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows(WORKFLOWS_PATH, WORKFLOW_INTERCEPTOR_MODULES);
  return bundle;
}

export interface RunningNexus {
  config: Config;
  runtime: NexusRuntime;
  baseUrl: string;
  stop(): Promise<void>;
}

export async function bootNexus(
  env: Record<string, string>,
  logger: Logger,
  options: { role?: Role; extraAgents?: Agent[] } = {},
): Promise<RunningNexus> {
  const config = loadConfig(env);
  const runtime = await startNexus(config, {
    role: options.role ?? 'all',
    logger,
    workflowBundle: await workflowBundle(),
    ...(options.extraAgents ? { extraAgents: options.extraAgents } : {}),
  });
  return { config, runtime, baseUrl: `http://127.0.0.1:${runtime.api?.port ?? 0}`, stop: () => runtime.stop() };
}

/** Starts `main.ts --role <role>` as a real child process (so a test can SIGKILL it) and waits until it runs. */
export async function spawnRole(role: Role, env: Record<string, string>, logFile: string): Promise<ChildProcess> {
  const { createWriteStream } = await import('node:fs');
  return spawnNexusRole(role, { ...process.env, ...env, LOG_LEVEL: process.env.NEXUS_CHILD_LOG_LEVEL ?? 'info' }, { stdout: createWriteStream(logFile, { flags: 'a' }) });
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * What a test file leaves behind: every workflow it ran on its task queue must replay with today's code (its
 * histories are saved in test-artifacts/histories/), and everything it created in Redis and RabbitMQ is removed,
 * whether or not the replay passed.
 */
export async function cleanupEnv(env: Record<string, string>): Promise<void> {
  let replayFailure: unknown;
  try {
    await replayEnvWorkflows(env);
  } catch (err) {
    replayFailure = err;
  }
  await removeEnvData(env);
  if (replayFailure) throw replayFailure;
}

async function replayEnvWorkflows(env: Record<string, string>): Promise<void> {
  const taskQueue = env.TEMPORAL_TASK_QUEUE;
  if (!taskQueue) return;
  const config = loadConfig(env);
  const address = config.temporal.address;
  const at = address.lastIndexOf(':');
  if (!(await isListening(address.slice(0, at), Number(address.slice(at + 1))))) {
    // A file that ends with Temporal gone (or never there, on purpose) has nothing to replay. A bare TCP check
    // first: a gRPC connection that fails to connect keeps retrying in the background after it is closed.
    console.warn(`replay check skipped for ${taskQueue}: nothing listens on ${address}`);
    return;
  }
  let client: Client;
  let executions: Awaited<ReturnType<typeof executionsOn>>;
  try {
    client = await temporalClient(env);
    executions = await executionsOn(client, taskQueue);
  } catch (err) {
    console.warn(`replay check skipped for ${taskQueue}: ${(err as Error).message}`);
    return;
  }
  try {
    await replayWorkflows({
      client,
      workflowBundle: await workflowBundle(),
      dataConverter: dataConverter(config.trust.payloadKeys ?? []),
      ...(env.NEXUS_PAYLOAD_KEYS ? { payloadKeys: env.NEXUS_PAYLOAD_KEYS } : {}),
    }, taskQueue, executions);
  } finally {
    await client.connection.close();
  }
}

async function removeEnvData(env: Record<string, string>): Promise<void> {
  if (env.NEXUS_REDIS_PREFIX) await deleteKeysUnder(env.REDIS_URL ?? REDIS_URL, env.NEXUS_REDIS_PREFIX);
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const exchange = env.NEXUS_REPORTS_EXCHANGE ?? '';
  const queue = env.NEXUS_BRIDGE_QUEUE ?? '';
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}.dead`);
  await channel.deleteExchange(exchange);
  await channel.deleteExchange(`${exchange}.dlx`);
  await connection.close();
}

/** A Temporal client that reads NEXUS's encrypted payloads with the file's payload keys (as an operator would). */
export async function temporalClient(env: Record<string, string>): Promise<Client> {
  const config = loadConfig(env);
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config.trust.payloadKeys ?? []) });
}

/** Posts JSON with tenant headers; returns status and parsed body. */
export async function post(
  baseUrl: string,
  path: string,
  body: unknown,
  tenant: { org_id: string; project_id: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
