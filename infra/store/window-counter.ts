import type { Redis } from 'ioredis';

/**
 * Fixed-window counters in Redis (`<key>:<window number>`, expiring after two windows): the one mechanism behind
 * the per-org rate limit, the ask-guess limit and the refusal budget. Redis errors reach the caller, which decides
 * whether a fault lets the request through.
 */
export class WindowCounter {
  constructor(
    private readonly redis: Redis,
    readonly windowMs = 60_000,
  ) {}

  windowAt(ms = Date.now()): number {
    return Math.floor(ms / this.windowMs);
  }

  endOf(window: number): number {
    return (window + 1) * this.windowMs;
  }

  /** INCRBY + PEXPIRE in one round trip; the count after these `by` hits. */
  async hit(key: string, window = this.windowAt(), by = 1): Promise<number> {
    const k = `${key}:${window}`;
    const result = await this.redis.multi().incrby(k, by).pexpire(k, this.windowMs * 2).exec();
    return Number(result?.[0]?.[1] ?? 0);
  }

  /** The count so far, without counting. */
  async peek(key: string, window = this.windowAt()): Promise<number> {
    return Number((await this.redis.get(`${key}:${window}`)) ?? 0);
  }
}
