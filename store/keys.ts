import type { Tenant } from '../contracts/index.js';

/**
 * Every Redis key NEXUS uses. The `{org:project}` hash tag keeps one tenant's keys in one cluster slot, so the
 * Lua scripts that touch several of them stay valid on Redis Cluster.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  private tenant(t: Tenant): string {
    return `${this.prefix}{${t.org_id}:${t.project_id}}`;
  }
  reports(t: Tenant): string {
    return `${this.tenant(t)}:reports`;
  }
  /** The id of the newest entry trimmed away; a cursor older than it has missed something. */
  trimmedUpTo(t: Tenant): string {
    return `${this.tenant(t)}:reports:trimmed`;
  }
  reportSeen(t: Tenant, reportId: string): string {
    return `${this.tenant(t)}:report:${reportId}`;
  }
  ask(t: Tenant, askId: string): string {
    return `${this.tenant(t)}:ask:${askId}`;
  }
  command(t: Tenant, commandId: string): string {
    return `${this.tenant(t)}:command:${commandId}`;
  }
}
