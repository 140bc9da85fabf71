import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TenantId } from '../contracts/index.js';
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

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cacheTtlMs = 5_000,
  ) {}

  private key(kind: string, id: string): string {
    return `${this.prefix}{auth}:${kind}:${id}`;
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
