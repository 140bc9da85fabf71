import { Cluster, Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { backoffDelay } from './backoff.js';
import { parseRedisUrl } from './redis-address.js';
import { serviceAddress } from './service-address.js';

export type { Redis };

/** What every NEXUS connection sets, on a single server or on each node of a cluster. */
export interface RedisClientOptions {
  connectionName?: string;
  maxRetriesPerRequest: number;
  enableOfflineQueue?: boolean;
  commandTimeout?: number;
  lazyConnect?: boolean;
  retryStrategy?: (attempt: number) => number | null;
  enableAutoPipelining?: boolean;
}

/**
 * A client for the Redis a URL names: `redis://` one server, `redis+cluster://` ioredis's Cluster client (slots
 * followed across resharding and failover). NEXUS holds either as `Redis`: every store uses only commands both
 * share, each script and transaction on keys of one hash tag (infra/store/keys.ts); the integration suites that run
 * on a real cluster (`./nexus test`) are what hold that promise.
 */
export function redisClient(url: string, options: RedisClientOptions): Redis {
  const target = parseRedisUrl(url);
  const { retryStrategy, lazyConnect, enableOfflineQueue, enableAutoPipelining, ...perNode } = options;
  if (target?.kind !== 'cluster') return new Redis(url, { ...options });
  const cluster = new Cluster(target.nodes, {
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    redisOptions: {
      ...perNode,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
  return cluster as unknown as Redis;
}

/** The cluster behind a client that `redisClient` made for a cluster URL; undefined for one server. */
export function clusterOf(redis: Redis): Cluster | undefined {
  const client: unknown = redis;
  return client instanceof Cluster ? client : undefined;
}

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
  const redis = redisClient(url, {
    connectionName: `nexus-${name}`,
    // A blocking reader fails fast when Redis is gone, so an SSE client gets a retry hint instead of a silent stall.
    maxRetriesPerRequest: blocking ? 0 : 2,
    enableOfflineQueue: !blocking,
    ...(blocking ? {} : { commandTimeout: 5_000 }),
    // Commands issued in the same tick leave in one write (in order, on the same connection): the bridge sends
    // many appends at once, and one syscall each was a fifth of its CPU.
    enableAutoPipelining: !blocking,
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

/**
 * Redis answering with an error that is about its state, not the command: a cluster between masters (CLUSTERDOWN,
 * TRYAGAIN, MASTERDOWN), a slot that moved (MOVED, ASK: the client follows on the next try), a node loading or
 * read-only mid-failover, a busy script, too few replicas. It passes; the same command later works. Any other reply
 * error (a wrong-type key, a script error) will repeat.
 */
export function isPassingRedisReply(err: unknown): boolean {
  return err instanceof Error && /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|MOVED|ASK|LOADING|READONLY|BUSY|NOREPLICAS)\b/.test(err.message);
}

/** Resolves once the client is ready; used at start-up so roles begin only with a working Redis. */
export async function waitForRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
}
