import type { Redis } from 'ioredis';
import { RedisKeys } from '../../infra/store/keys.js';

/** What the ledger knows about one batch. */
export type BatchEntry =
  | { state: 'pending'; at: number; attempt: number }
  | { state: 'sent'; at: number; request_id: string | null; rejected: Array<{ row: number; code: string }> };

/** Ledgers outlive any retry; a month matches how long SENS lets us look requests up. */
const TTL_SECONDS = 30 * 24 * 3600;

// The highest attempt owns the ledger; an older attempt that is somehow still running is fenced off at its next
// batch. The plan (batch size, recipient count) is fixed by the first attempt, so batch numbers mean the same
// thing to every attempt even if the config changed in between.
const CLAIM = `
local owner = tonumber(redis.call('HGET', KEYS[1], 'owner') or '0')
if owner > tonumber(ARGV[1]) then return {0, ''} end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('HSETNX', KEYS[1], 'plan', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {1, redis.call('HGET', KEYS[1], 'plan')}
`;

// Marks a batch pending before it is sent, unless the ledger already knows it (then the caller must not send blindly).
const BEGIN = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return {'fenced', ''} end
local current = redis.call('HGET', KEYS[1], ARGV[2])
if current then return {'known', current} end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return {'new', ''}
`;

/**
 * Per command step, in Redis: the state of every batch and the idempotency key of every recipient the provider
 * confirmed (`<step idempotency key>:<row>`). Heartbeat details alone cannot carry this: the SDK throttles
 * heartbeats, so the last one a crashed worker sent may be many batches old.
 */
export class DeliveryLedger {
  private readonly keys: RedisKeys;

  constructor(private readonly redis: Redis, prefix: string) {
    this.keys = new RedisKeys(prefix);
  }

  /** Takes the ledger for `attempt`; false when a later attempt already owns it. Returns the plan of the first attempt. */
  async claim(stepKey: string, attempt: number, plan: string): Promise<{ owned: boolean; plan: string }> {
    await this.adoptEarlierLedger(stepKey);
    const [owned, stored] = (await this.redis.eval(CLAIM, 2, this.key(stepKey), this.confirmedKey(stepKey), String(attempt), plan, String(TTL_SECONDS))) as [number, string];
    return { owned: owned === 1, plan: stored };
  }

  async begin(stepKey: string, batch: number, attempt: number, at: number): Promise<{ kind: 'fenced' } | { kind: 'new' } | { kind: 'known'; entry: BatchEntry }> {
    const pending: BatchEntry = { state: 'pending', at, attempt };
    const [kind, raw] = (await this.redis.eval(BEGIN, 1, this.key(stepKey), String(attempt), `b:${batch}`, JSON.stringify(pending))) as [string, string];
    if (kind === 'known') return { kind, entry: JSON.parse(raw) as BatchEntry };
    return { kind: kind === 'fenced' ? 'fenced' : 'new' };
  }

  /** Recipients the provider has (found on reconciliation, or just accepted); recorded before anything else happens. */
  async confirmRecipients(stepKey: string, recipientKeys: readonly string[]): Promise<void> {
    if (recipientKeys.length === 0) return;
    await this.redis.multi().sadd(this.confirmedKey(stepKey), ...recipientKeys).expire(this.confirmedKey(stepKey), TTL_SECONDS).exec();
  }

  async confirmedAmong(stepKey: string, recipientKeys: readonly string[]): Promise<Set<string>> {
    if (recipientKeys.length === 0) return new Set();
    const flags = await this.redis.smismember(this.confirmedKey(stepKey), ...recipientKeys);
    return new Set(recipientKeys.filter((_, i) => flags[i] === 1));
  }

  /** The batch is done: its recipients' keys and its state in one transaction. */
  async finishBatch(stepKey: string, batch: number, entry: Extract<BatchEntry, { state: 'sent' }>, recipientKeys: readonly string[]): Promise<void> {
    const tx = this.redis.multi();
    if (recipientKeys.length > 0) tx.sadd(this.confirmedKey(stepKey), ...recipientKeys).expire(this.confirmedKey(stepKey), TTL_SECONDS);
    tx.hset(this.key(stepKey), `b:${batch}`, JSON.stringify(entry));
    await tx.exec();
  }

  async batches(stepKey: string): Promise<Map<number, BatchEntry>> {
    const all = await this.redis.hgetall(this.key(stepKey));
    const out = new Map<number, BatchEntry>();
    for (const [field, value] of Object.entries(all)) {
      if (field.startsWith('b:')) out.set(Number(field.slice(2)), JSON.parse(value) as BatchEntry);
    }
    return out;
  }

  /**
   * A step begun before the ledger's keys shared a cluster slot keeps its history: its old keys are renamed to the
   * new ones (single-node Redis, the only place old keys exist). Without this a send retried across the upgrade
   * would find no ledger and send every batch again. An attempt of the older code still running on the old keys
   * is fenced at its next batch: their owner is gone.
   */
  private async adoptEarlierLedger(stepKey: string): Promise<void> {
    const before = this.keys.kakaoLedgerBefore(stepKey);
    for (const [old, current] of [[before.ledger, this.key(stepKey)], [before.confirmed, this.confirmedKey(stepKey)]] as const) {
      if ((await this.redis.exists(old)) === 0) continue;
      // Another attempt moving it at the same moment: whichever rename ran first moved it; the other finds no key.
      await this.redis.renamenx(old, current).catch((err: Error) => {
        if (!/no such key/i.test(err.message)) throw err;
      });
    }
  }

  private key(stepKey: string): string {
    return this.keys.kakaoLedger(stepKey);
  }

  private confirmedKey(stepKey: string): string {
    return this.keys.kakaoConfirmed(stepKey);
  }
}
