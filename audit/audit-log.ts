import type { Redis } from 'ioredis';
import type { Logger } from '../infra/logger.js';

/** Generous: at a few hundred entries a minute this is weeks of history per org; `~` keeps trimming cheap. */
export const AUDIT_MAXLEN = 1_000_000;

export interface AuditEntry {
  /** `command` (accepted), `decision` (every attempt, any status), `refused` (any other 4xx on a tenant route). */
  event: 'command' | 'decision' | 'refused';
  principal: string;
  principal_kind: string;
  method: string;
  /** Without the query string: a stream ticket travels there. */
  path: string;
  status: number;
  code?: string;
  correlation_id?: string;
  project_id?: string;
}

/**
 * An append-only Redis stream per org (`<prefix>{audit:<org>}:audit`). Nothing in NEXUS deletes from it but the
 * MAXLEN trim. Never holds a token or a ticket: the principal is a token id and the path has no query.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  key(orgId: string): string {
    return `${this.prefix}{audit:${orgId}}:audit`;
  }

  async append(orgId: string, entry: AuditEntry): Promise<void> {
    const fields = Object.entries({ ts: new Date().toISOString(), ...entry })
      .filter(([, v]) => v !== undefined && v !== '')
      .flatMap(([k, v]) => [k, String(v)]);
    try {
      await this.redis.xadd(this.key(orgId), 'MAXLEN', '~', String(AUDIT_MAXLEN), '*', ...fields);
    } catch (err) {
      // The request already has its answer; a lost audit entry is logged (without secrets) rather than hidden.
      this.logger.warn({ err: (err as Error).message, org_id: orgId, ...entry }, 'audit entry not written');
    }
  }

  async read(orgId: string): Promise<Array<Record<string, string>>> {
    const rows = await this.redis.xrange(this.key(orgId), '-', '+');
    return rows.map(([id, flat]) => {
      const out: Record<string, string> = { id };
      for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
      return out;
    });
  }
}
