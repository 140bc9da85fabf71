import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { backoffDelay } from './backoff.js';
import { serviceAddress } from './service-address.js';

export type { Redis };

export interface RedisOptions {
  url: string;
  logger: Logger;
  name: string;
  /** Blocking readers (XREAD BLOCK) must not time out their own long calls. */
  blocking?: boolean;
}

/**
 * A Redis client that never gives up reconnecting and says so in the log, so a Redis that is not ready yet
 * (or restarts) is a log line and a retry, never a crash loop.
 */
export function createRedis({ url, logger, name, blocking = false }: RedisOptions): Redis {
  const log = logger.child({ component: 'redis', connection: name, address: serviceAddress(url) });
  const redis = new Redis(url, {
    connectionName: `nexus-${name}`,
    // A blocking reader fails fast when Redis is gone, so an SSE client gets a retry hint instead of a silent stall.
    maxRetriesPerRequest: blocking ? 0 : 2,
    enableOfflineQueue: !blocking,
    ...(blocking ? {} : { commandTimeout: 5_000 }),
    retryStrategy: (attempt) => {
      const delay = backoffDelay(attempt, 200, 5_000);
      log.warn({ attempt, delay_ms: delay }, 'redis not reachable, retrying');
      return delay;
    },
  });
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error'));
  redis.on('ready', () => log.info('redis ready'));
  return redis;
}

/** Resolves once the client is ready; used at start-up so roles begin only with a working Redis. */
export async function waitForRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
}
