import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ClientKey, TenantId } from '../../contracts/index.js';
import type { RedisKeys } from './keys.js';

/** What a stall report said, kept until the command moves again so its card can be told so. */
export const StallRecord = z.object({
  org_id: TenantId,
  project_id: TenantId,
  correlation_id: ClientKey,
  command_id: ClientKey,
  /** The seq the stall report took: a later report of the workflow has a higher one. */
  seq: z.number().int().nonnegative(),
  /** The history length at the stall: it names the stall, so every API process writes the same report ids. */
  history_length: z.number().int().nonnegative(),
  cause: z.string(),
  since: z.iso.datetime(),
});
export type StallRecord = z.infer<typeof StallRecord>;

/**
 * The commands NEXUS has reported stalled, shared by every API process: whichever one sees a command move again
 * says so once, even if the one that saw it stall has restarted since.
 */
export class StalledRegistry {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  async record(workflowId: string, record: StallRecord): Promise<void> {
    await this.redis.hset(this.keys.stalledCommands(), workflowId, JSON.stringify(record));
  }

  /** Unreadable entries (written by another version) are dropped rather than reported on. */
  async all(): Promise<Map<string, StallRecord>> {
    const rows = await this.redis.hgetall(this.keys.stalledCommands());
    const records = new Map<string, StallRecord>();
    for (const [workflowId, raw] of Object.entries(rows)) {
      const parsed = StallRecord.safeParse(safeJson(raw));
      if (parsed.success) records.set(workflowId, parsed.data);
      else await this.forget(workflowId);
    }
    return records;
  }

  async forget(workflowId: string): Promise<void> {
    await this.redis.hdel(this.keys.stalledCommands(), workflowId);
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
