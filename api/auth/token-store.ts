import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TenantId } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { Role, type Principal } from './principal.js';

export const TOKEN_PREFIX = 'nxs_';

/** A stored token, without its secret. */
export interface TokenRecord {
  token_id: string;
  org_id: string;
  projects: string[] | '*';
  roles: Role[];
  label: string;
  created_at: string;
  revoked: boolean;
}

export interface NewToken {
  org_id: string;
  projects: string[] | '*';
  roles: Role[];
  label?: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * API tokens in Redis, keyed by the SHA-256 of the token (the token itself is never stored: 32 random bytes make
 * a fast unsalted hash safe). All keys share the `{auth}` hash tag so create/revoke stay one MULTI on a cluster.
 * `lookup` keeps hits for `cacheTtlMs` in process, so a revocation takes effect within that time.
 */
export class TokenStore {
  private readonly cache = new Map<string, { record: TokenRecord; until: number }>();
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** How stale a lookup may be: a revocation reaches new requests, and open streams, within this time. */
    readonly cacheTtlMs = 5_000,
  ) {
    this.keys = new RedisKeys(prefix);
  }

  private key(kind: string, id: string): string {
    return this.keys.auth(kind, id);
  }

  async create(input: NewToken): Promise<{ token: string; record: TokenRecord }> {
    TenantId.parse(input.org_id);
    if (input.projects !== '*') input.projects.forEach((p) => TenantId.parse(p));
    input.roles.forEach((r) => Role.parse(r));
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      token_id: `tok_${randomBytes(8).toString('hex')}`,
      org_id: input.org_id,
      projects: input.projects,
      roles: [...new Set(input.roles)],
      label: input.label ?? '',
      created_at: new Date().toISOString(),
      revoked: false,
    };
    const hash = sha256(token);
    await this.redis
      .multi()
      .hset(this.key('token', hash), {
        token_id: record.token_id,
        org_id: record.org_id,
        projects: record.projects === '*' ? '*' : record.projects.join(','),
        roles: record.roles.join(','),
        label: record.label,
        created_at: record.created_at,
        revoked: '0',
      })
      .set(this.key('token-id', record.token_id), hash)
      .sadd(this.key('org-tokens', record.org_id), record.token_id)
      .exec();
    return { token, record };
  }

  /** Marks the token revoked (kept, so `list` still shows it); false when no such id. */
  async revoke(tokenId: string): Promise<boolean> {
    const hash = await this.redis.get(this.key('token-id', tokenId));
    if (!hash) return false;
    await this.redis.hset(this.key('token', hash), 'revoked', '1', 'revoked_at', new Date().toISOString());
    return true;
  }

  async list(orgId: string): Promise<TokenRecord[]> {
    const ids = await this.redis.smembers(this.key('org-tokens', orgId));
    const records = await Promise.all(ids.map(async (id) => {
      const hash = await this.redis.get(this.key('token-id', id));
      return hash ? this.read(hash) : undefined;
    }));
    return records.filter((r): r is TokenRecord => r !== undefined).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** The principal of a live token, or undefined for an unknown, malformed or revoked one. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const record = await this.lookupHash(sha256(token));
    return record && !record.revoked ? toPrincipal(record) : undefined;
  }

  /**
   * Which of these token ids are revoked (or gone), read from Redis without the cache (and dropped from it): open
   * streams ask this every half cache TTL, so a revocation ends them within the TTL. Two round trips for any number
   * of ids.
   */
  async revokedAmong(tokenIds: string[]): Promise<Set<string>> {
    if (tokenIds.length === 0) return new Set();
    const hashes = await this.redis.mget(tokenIds.map((id) => this.key('token-id', id)));
    const live = tokenIds.map((id, i) => ({ id, hash: hashes[i] })).filter((t): t is { id: string; hash: string } => !!t.hash);
    const replies = live.length === 0 ? [] : ((await this.redis.pipeline(live.map((t) => ['hget', this.key('token', t.hash), 'revoked'])).exec()) ?? []);
    const alive = new Set<string>();
    live.forEach((t, i) => {
      const [err, flag] = replies[i] ?? [new Error('no reply from Redis'), null];
      if (err) throw err;
      if (flag === '0') alive.add(t.id);
    });
    const revoked = new Set(tokenIds.filter((id) => !alive.has(id)));
    // This process's cached copies are now known to be stale: the client of a closed stream must not reconnect on one.
    if (revoked.size > 0) for (const [hash, hit] of this.cache) if (revoked.has(hit.record.token_id)) this.cache.delete(hash);
    return revoked;
  }

  /**
   * A token's record by its id, read from Redis now (never the cache): an approval link checks, when it is used,
   * that its approver's token is still live and still holds the roles the link was made with.
   */
  async recordById(tokenId: string): Promise<TokenRecord | undefined> {
    const hash = await this.redis.get(this.key('token-id', tokenId));
    return hash ? this.read(hash) : undefined;
  }

  /** By the token's hash (what a stream ticket remembers), cached; revoked tokens are returned as such. */
  async lookupHash(hash: string): Promise<TokenRecord | undefined> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.record;
    const record = await this.read(hash);
    if (!record) {
      this.cache.delete(hash);
      return undefined;
    }
    // Bounded: a flood of distinct valid tokens cannot grow the map without limit.
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(hash, { record, until: now + this.cacheTtlMs });
    return record;
  }

  private async read(hash: string): Promise<TokenRecord | undefined> {
    const h = await this.redis.hgetall(this.key('token', hash));
    if (!h.token_id || !h.org_id) return undefined;
    return {
      token_id: h.token_id,
      org_id: h.org_id,
      projects: h.projects === '*' ? '*' : (h.projects ?? '').split(',').filter(Boolean),
      roles: (h.roles ?? '').split(',').filter((r): r is Role => Role.safeParse(r).success),
      label: h.label ?? '',
      created_at: h.created_at ?? '',
      revoked: h.revoked === '1',
    };
  }
}

export function toPrincipal(record: TokenRecord): Principal {
  return { id: record.token_id, kind: 'token', org_id: record.org_id, projects: record.projects, roles: record.roles, token_id: record.token_id };
}
