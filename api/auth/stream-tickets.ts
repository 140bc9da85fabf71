import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Tenant } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import type { Principal } from './principal.js';
import { sha256, type TokenStore } from './token-store.js';

export const TICKET_PREFIX = 'nxt_';

/**
 * Short-lived, stream-only credentials for browsers (an EventSource cannot send `Authorization`). A ticket is
 * stored hashed with a TTL, bound to one tenant and to the token (or local user) that minted it; it can be used
 * again until it expires, because an EventSource reconnects with the same URL. It dies with its token.
 */
export class StreamTickets {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly tokens: TokenStore,
    private readonly ttlMs: number,
  ) {
    this.keys = new RedisKeys(prefix);
  }

  private key(hash: string): string {
    return this.keys.auth('ticket', hash);
  }

  async issue(principal: Principal, tenant: Tenant, tokenHash: string | undefined): Promise<{ ticket: string; expires_at: string }> {
    const ticket = `${TICKET_PREFIX}${randomBytes(24).toString('base64url')}`;
    const key = this.key(sha256(ticket));
    await this.redis
      .multi()
      .hset(key, {
        principal_id: principal.id,
        kind: principal.kind,
        token_hash: tokenHash ?? '',
        org_id: tenant.org_id,
        project_id: tenant.project_id,
      })
      .pexpire(key, this.ttlMs)
      .exec();
    return { ticket, expires_at: new Date(Date.now() + this.ttlMs).toISOString() };
  }

  /** A viewer principal for exactly the ticket's tenant, or undefined (unknown, expired, or its token revoked). */
  async redeem(ticket: string): Promise<Principal | undefined> {
    if (!ticket.startsWith(TICKET_PREFIX) || ticket.length > 100) return undefined;
    const h = await this.redis.hgetall(this.key(sha256(ticket)));
    if (!h.principal_id || !h.org_id || !h.project_id) return undefined;
    let tokenId: string | undefined;
    if (h.kind === 'token') {
      const record = h.token_hash ? await this.tokens.lookupHash(h.token_hash) : undefined;
      if (!record || record.revoked) return undefined;
      tokenId = record.token_id;
    }
    return {
      id: h.principal_id,
      kind: h.kind === 'token' ? 'token' : 'local',
      org_id: h.org_id,
      projects: [h.project_id],
      roles: ['viewer'],
      ...(tokenId ? { token_id: tokenId } : {}),
    };
  }
}
