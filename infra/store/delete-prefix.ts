import { clusterOf, redisClient } from '../redis.js';

/**
 * Deletes every key under a prefix (a test's or a bench run's), on one server or on every master of a cluster:
 * SCAN walks one node only, and a cluster refuses a multi-key DEL across slots even on one node, so keys go one
 * UNLINK each, pipelined.
 */
export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const redis = redisClient(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    for (const node of clusterOf(redis)?.nodes('master') ?? [redis]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await node.pipeline(keys.map((key) => ['unlink', key])).exec();
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
