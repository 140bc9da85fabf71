import type { Tenant } from '../../contracts/index.js';

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
  /** The tenant's asks that may still be decided (sorted set: ask id → expiry in ms); the bridge keeps it. */
  openAsks(t: Tenant): string {
    return `${this.tenant(t)}:open-asks`;
  }
  command(t: Tenant, commandId: string): string {
    return `${this.tenant(t)}:command:${commandId}`;
  }
  /** Which execution (run and activity) used an ask's approval to act: an approval acts once. */
  approvalUse(t: Tenant, askId: string): string {
    return `${this.tenant(t)}:approval-use:${askId}`;
  }
  /** A standing approval: its signed grant and its state (JSON). */
  standingApproval(t: Tenant, id: string): string {
    return `${this.tenant(t)}:standing:${id}`;
  }
  /** The tenant's standing approvals (sorted set: id → created at, ms), for listing and for matching asks. */
  standingIndex(t: Tenant): string {
    return `${this.tenant(t)}:standing-index`;
  }
  /** How many asks a standing approval approved (the worker counts, at the effect). */
  standingUses(t: Tenant, id: string): string {
    return `${this.tenant(t)}:standing-uses:${id}`;
  }
  /** The highest seq stored for one workflow's reports and whether its terminal report is among them. */
  progress(t: Tenant, workflowId: string): string {
    return `${this.tenant(t)}:progress:${workflowId}`;
  }

  // Keys outside a tenant: each carries its own hash tag, so multi-key commands stay in one slot.

  /** Every tenant that ever had an ask (members: JSON `[org_id, project_id]`), so the open asks can be counted. */
  askTenants(): string {
    return `${this.prefix}{asks}:tenants`;
  }

  /** An org's append-only audit stream; the security log (no authenticated principal) uses a reserved id. */
  audit(orgId: string): string {
    return `${this.prefix}{audit:${orgId}}:audit`;
  }
  /** Marks an audit entry written at most once (by the id of what it records); same slot as the org's stream. */
  auditSeen(orgId: string, id: string): string {
    return `${this.prefix}{audit:${orgId}}:seen:${id}`;
  }
  /** Commands found stuck on a failing workflow task (workflow_id → what their stall report said); one slot. */
  stalledCommands(): string {
    return `${this.prefix}{stalled}:commands`;
  }
  /** One approval link's record and state; the link id is its own hash tag. */
  approvalLink(linkId: string): string {
    return `${this.prefix}{link:${linkId}}:link`;
  }
  /** Token and ticket records (`kind` is token, token-id, org-tokens or ticket); one `{auth}` slot. */
  auth(kind: string, id: string): string {
    return `${this.prefix}{auth}:${kind}:${id}`;
  }
  /** An org's POST counter for one window (`<key>:<window>`). */
  orgPosts(orgId: string): string {
    return `${this.prefix}{rate:${orgId}}:posts`;
  }
  /** A principal's unknown-ask counter for one window (`<key>:<window>`). */
  askMisses(principalId: string): string {
    return `${this.prefix}{misses:${principalId}}:asks`;
  }
  /** Refused requests of one caller (`p:<kind>:<principal id>` or `ip:<address>`) for one window (`<key>:<window>`). */
  refusals(subject: string): string {
    return `${this.prefix}{refusals:${subject}}:count`;
  }
  /**
   * student.excel_kakao's delivery ledger of one step (one hash) and its confirmed-rows set: one `{kakao:<step>}`
   * slot, since the ledger's scripts and transactions touch both.
   */
  kakaoLedger(stepKey: string): string {
    return `${this.prefix}{kakao:${stepKey}}:ledger`;
  }
  kakaoConfirmed(stepKey: string): string {
    return `${this.prefix}{kakao:${stepKey}}:confirmed`;
  }
  /** Where those two lived before they shared a slot; a ledger found there is moved on its next claim. */
  kakaoLedgerBefore(stepKey: string): { ledger: string; confirmed: string } {
    return { ledger: `${this.prefix}kakao:ledger:${stepKey}`, confirmed: `${this.prefix}kakao:confirmed:${stepKey}` };
  }
}
