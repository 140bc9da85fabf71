import type { Redis } from 'ioredis';
import { z } from 'zod';
import { SignedStandingGrant, type Tenant } from '../../contracts/index.js';
import type { RedisKeys } from './keys.js';

/** How long a revoked or expired standing approval stays listed (and its id known) after it stopped standing. */
const KEPT_AFTER_END_MS = 30 * 24 * 3600 * 1000;

const Revocation = z.object({ by: z.string(), at: z.iso.datetime(), reason: z.string().optional() });
export type Revocation = z.infer<typeof Revocation>;

/** What is kept per standing approval: the grant as NEXUS signed it, and whether it was revoked (which only takes away). */
const Stored = z.object({ signed: SignedStandingGrant, revoked: Revocation.optional() });
export type StoredStanding = z.infer<typeof Stored> & {
  /** The exact stored text: a change is written only over what was read (compare and set). */
  raw: string;
};

/** Replaces a record only if it is still exactly what the caller read: two approvers at once cannot lose one. */
const COMPARE_AND_SET = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3]) end
return 1`;

/**
 * Standing approvals in Redis, beside the tenant's asks (one hash tag). The API writes them; the worker reads them
 * and counts their uses. A record whose signature does not hold is worth nothing wherever it is read
 * (infra/trust/standing-seal.ts), so this store is trusted with availability, not authority.
 */
export class StandingApprovals {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  async create(t: Tenant, signed: SignedStandingGrant, createdAtMs: number): Promise<void> {
    const { standing_approval_id: id } = signed.grant;
    const key = this.keys.standingApproval(t, id);
    const until = keepUntil(signed);
    const transaction = this.redis.multi();
    if (until === undefined) transaction.set(key, JSON.stringify({ signed }));
    else transaction.set(key, JSON.stringify({ signed }), 'PXAT', until);
    await transaction
      .zadd(this.keys.standingIndex(t), String(createdAtMs), id)
      .exec()
      .then(failedIn);
  }

  async read(t: Tenant, id: string): Promise<StoredStanding | undefined> {
    return parse(await this.redis.get(this.keys.standingApproval(t, id)));
  }

  /**
   * Every standing approval of the tenant still kept, oldest first. `prune` (the API, which may write the index):
   * ids whose record is gone leave it; the worker, which may only read, skips them.
   */
  async list(t: Tenant, { prune = false } = {}): Promise<StoredStanding[]> {
    const ids = await this.redis.zrange(this.keys.standingIndex(t), '0', '-1');
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.standingApproval(t, id)));
    const gone = ids.filter((_, i) => raws[i] === null);
    if (prune && gone.length > 0) await this.redis.zrem(this.keys.standingIndex(t), ...gone);
    return raws.flatMap((raw) => {
      const stored = parse(raw);
      return stored ? [stored] : [];
    });
  }

  /** Writes `next` over `current` unless it changed since it was read; false: read it again and retry. */
  async replace(t: Tenant, current: StoredStanding, next: { signed: SignedStandingGrant; revoked?: Revocation }): Promise<boolean> {
    const ends = keepUntil(next.signed);
    const until = next.revoked ? Math.min(ends ?? Infinity, Date.parse(next.revoked.at) + KEPT_AFTER_END_MS) : ends;
    const done = await this.redis.eval(COMPARE_AND_SET, 1, this.keys.standingApproval(t, next.signed.grant.standing_approval_id), current.raw, JSON.stringify(next), until === undefined ? '' : String(until));
    return done === 1;
  }

  /** Asks each approved so far, in the order given. */
  async uses(t: Tenant, ids: string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.scard(this.keys.standingUses(t, id));
    const results = await pipeline.exec();
    failedIn(results);
    return (results ?? []).map(([, count]) => Number(count ?? 0));
  }

  /**
   * The ask it approved acted (the worker, where the effect happens). A set of ask ids, so a retried activity, or a
   * count that failed after the audit entry was written and is made again, counts the ask once.
   */
  async countUse(t: Tenant, signed: SignedStandingGrant, askId: string): Promise<void> {
    const key = this.keys.standingUses(t, signed.grant.standing_approval_id);
    const until = keepUntil(signed);
    const transaction = this.redis.multi().sadd(key, askId);
    if (until !== undefined) transaction.pexpireat(key, until);
    await transaction.exec().then(failedIn);
  }
}

/** With an expiry: kept 30 days past it. Until revoked (undefined): kept until revoked, then 30 days. */
function keepUntil(signed: SignedStandingGrant): number | undefined {
  const expires = signed.grant.expires_at;
  return expires === undefined ? undefined : Date.parse(expires) + KEPT_AFTER_END_MS;
}

function parse(raw: string | null): StoredStanding | undefined {
  if (raw === null) return undefined;
  try {
    const stored = Stored.safeParse(JSON.parse(raw));
    return stored.success ? { ...stored.data, raw } : undefined;
  } catch {
    return undefined;
  }
}

function failedIn(results: Array<[Error | null, unknown]> | null): void {
  const failed = results?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
  if (!results) throw new Error('the transaction was discarded');
}
