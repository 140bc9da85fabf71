import type { Redis } from 'ioredis';
import { ApprovalLinkRecord } from '../../contracts/index.js';
import type { RedisKeys } from './keys.js';

/** A link's record outlives its ask by this much, so a late click is told "expired" or "used", not "unknown". */
const KEEP_AFTER_EXPIRY_MS = 7 * 24 * 3600_000;
/**
 * How many openings of one link are audited one by one; the next is audited once as `opens_limited`, the rest are
 * counted only. A link is a credential its holder may open at will, and each entry would otherwise let them push the
 * org's older audit history out of its trimmed stream.
 */
export const AUDITED_OPENS_PER_LINK = 20;
/** Longer than a decision can take through the API (its deadline and Temporal's): an older claim was abandoned. */
const CLAIM_STALE_MS = 60_000;

/** `issued` until a decision is on its way (`claimed`), `used` once it was accepted. */
export type LinkState = 'issued' | 'claimed' | 'used';

export interface StoredLink {
  record: ApprovalLinkRecord;
  state: LinkState;
  used_at?: string;
  decision?: string;
}

export type LinkClaim = 'ok' | 'used' | 'busy' | 'gone';

// One decision per link: a second click while the first is in flight is "busy", after it landed "used".
const CLAIM = `local f = redis.call('HMGET', KEYS[1], 'state', 'claimed_at')
if not f[1] then return 'gone' end
if f[1] == 'used' then return 'used' end
if f[1] == 'claimed' and tonumber(f[2] or '0') + tonumber(ARGV[2]) > tonumber(ARGV[1]) then return 'busy' end
redis.call('HSET', KEYS[1], 'state', 'claimed', 'claimed_at', ARGV[1])
return 'ok'`;
// A link that expired meanwhile is not brought back as a hash without its record and TTL.
const MARK_USED = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'state', 'used', 'used_at', ARGV[1], 'decision', ARGV[2]) end`;
const COUNT_OPEN = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'opens', 1)`;
const RELEASE = `if redis.call('HGET', KEYS[1], 'state') == 'claimed' then redis.call('HSET', KEYS[1], 'state', 'issued') end`;

/**
 * Approval links in Redis, one hash per link: the signed record as JSON and its single-use state. The record is
 * trusted only after `LinkSeal.verify`; this store keeps it and counts its one use.
 */
export class ApprovalLinks {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  /** Each link is its own hash slot (a cluster spreads them), so each is saved by a transaction of its own. */
  async save(records: ApprovalLinkRecord[], now = Date.now()): Promise<void> {
    await Promise.all(records.map(async (record) => {
      const key = this.keys.approvalLink(record.link_id);
      await this.redis.multi()
        .hset(key, { record: JSON.stringify(record), state: 'issued' })
        .pexpireat(key, Math.max(Date.parse(record.expires_at), now) + KEEP_AFTER_EXPIRY_MS)
        .exec();
    }));
  }

  /** The link's record and state; undefined when NEXUS keeps no such link (never made, or long gone). */
  async read(linkId: string): Promise<StoredLink | undefined> {
    const h = await this.redis.hgetall(this.keys.approvalLink(linkId));
    if (!h.record) return undefined;
    let record: ApprovalLinkRecord;
    try {
      record = ApprovalLinkRecord.parse(JSON.parse(h.record));
    } catch {
      // Not a record NEXUS wrote; the seal would refuse it anyway.
      return undefined;
    }
    const state: LinkState = h.state === 'used' || h.state === 'claimed' ? h.state : 'issued';
    return { record, state, ...(h.used_at ? { used_at: h.used_at } : {}), ...(h.decision ? { decision: h.decision } : {}) };
  }

  async claim(linkId: string, now = Date.now()): Promise<LinkClaim> {
    return (await this.redis.eval(CLAIM, 1, this.keys.approvalLink(linkId), String(now), String(CLAIM_STALE_MS))) as LinkClaim;
  }

  /** Counts one opening of the link's page and answers how many there were (0: no such link any more). */
  async countOpen(linkId: string): Promise<number> {
    return Number(await this.redis.eval(COUNT_OPEN, 1, this.keys.approvalLink(linkId)));
  }

  /** The decision did not go through (the ask refused it, a backend was down): the link may be used again. */
  async release(linkId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.approvalLink(linkId));
  }

  async markUsed(linkId: string, decision: string, at = new Date()): Promise<void> {
    await this.redis.eval(MARK_USED, 1, this.keys.approvalLink(linkId), at.toISOString(), decision);
  }
}
