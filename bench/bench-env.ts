import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { deleteKeysUnder } from '../infra/store/delete-prefix.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * The environment NEXUS is loaded from for one bench run: names no test, install or other run uses (key prefix,
 * exchange, queue, task queue), so the bench can share Redis, RabbitMQ and Temporal with anything.
 */
export function benchEnv(temporalAddress: string): Record<string, string> {
  const id = `bench-${randomUUID().slice(0, 8)}`;
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL,
    AMQP_URL,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `nexus-${id}`,
    NEXUS_START_TEMPORAL: 'never',
    NEXUS_REDIS_PREFIX: `${id}:`,
    NEXUS_REPORTS_EXCHANGE: `nexus.${id}.reports`,
    NEXUS_BRIDGE_QUEUE: `nexus.${id}.bridge`,
    // The per-org rate limit guards real installs; the bench measures NEXUS itself, so it is off here.
    NEXUS_RATE_LIMIT_PER_MIN: '0',
    LOG_LEVEL: 'warn',
  };
}

/** Removes everything the run created in Redis and RabbitMQ; safe to call when the run never got that far. */
export async function cleanupBenchEnv(env: Record<string, string>): Promise<void> {
  const prefix = env.NEXUS_REDIS_PREFIX;
  if (prefix) await deleteKeysUnder(REDIS_URL, prefix);
  const exchange = env.NEXUS_REPORTS_EXCHANGE;
  const queue = env.NEXUS_BRIDGE_QUEUE;
  if (!exchange || !queue) return;
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await channel.deleteQueue(`${queue}.dead`);
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlx`);
  } finally {
    await connection.close();
  }
}
