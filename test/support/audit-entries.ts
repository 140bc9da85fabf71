import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../infra/store/keys.js';

/** Every entry of an org's audit log, oldest first, as field → value (what an auditor reading Redis sees). */
export async function auditEntries(redis: Redis, keys: RedisKeys, org: string): Promise<Array<Record<string, string>>> {
  const entries = await redis.xrange(keys.audit(org), '-', '+');
  return entries.map(([, fields]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]])));
}
