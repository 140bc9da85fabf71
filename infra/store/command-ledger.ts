import type { Redis } from 'ioredis';
import type { Tenant } from '../../contracts/index.js';
import type { RedisKeys } from './keys.js';

const LEDGER_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Remembers the digest of each command body by (tenant, command_id), so the same key with the same body is
 * idempotent and the same key with another body is a 409 instead of silently reusing the first workflow.
 */
export class CommandLedger {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  /** Returns true when the key is new or was recorded with the same digest. */
  async record(tenant: Tenant, commandId: string, digest: string): Promise<boolean> {
    const key = this.keys.command(tenant, commandId);
    const set = await this.redis.set(key, digest, 'EX', LEDGER_TTL_SECONDS, 'NX');
    if (set === 'OK') return true;
    return (await this.redis.get(key)) === digest;
  }
}
