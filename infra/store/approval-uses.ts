import type { Redis } from 'ioredis';
import type { Tenant } from '../../contracts/index.js';
import type { RedisKeys } from './keys.js';

/**
 * Longer than a Temporal namespace keeps closed workflows (what a reset can reach) and than any ask can wait: an
 * approval remembered for less could act again once forgotten.
 */
const USE_TTL_SECONDS = 400 * 24 * 3600;

/** First holder wins, atomically; the same holder again (a retry of that activity) is told it holds it. */
const CLAIM = `local held = redis.call('GET', KEYS[1])
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return held == ARGV[1] and 1 or 0`;

/**
 * Each approval acts once. The first execution — one workflow run's one scheduled activity — to bring it to an
 * agent owns it; a retry of that activity continues (with the agent's own idempotency key), while a reset run, a
 * replayed history or a rogue caller holding a copy is refused. Lives in Redis beside the ask index, so every
 * worker process sees the same answer.
 */
export class ApprovalUses {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  /** True when `holder` (`<run id>/<activity id>`) is the execution that owns the approval. */
  async claim(tenant: Tenant, askId: string, holder: string): Promise<boolean> {
    return (await this.redis.eval(CLAIM, 1, this.keys.approvalUse(tenant, askId), holder, String(USE_TTL_SECONDS))) === 1;
  }
}
