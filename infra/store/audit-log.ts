import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { RedisKeys } from './keys.js';

/** Generous: at a few hundred entries a minute this is weeks of history per org; `~` keeps trimming cheap. */
export const AUDIT_MAXLEN = 1_000_000;

/**
 * The security log: refusals of callers with no authenticated principal. An org id cannot start with `_`, so no org
 * can own it; it keeps the `_unknown` name it had since issue 6 so existing readers keep working.
 */
export const SECURITY_LOG = '_unknown';

/** One request on a tenant route. */
export interface AuditRequestEntry {
  /**
   * `command` (accepted), `decision`, `cancel` and `rerun` (every attempt, any status; a re-run's correlation_id is the
   * new command's), `refused` (any other 4xx on a tenant route).
   */
  event: 'command' | 'decision' | 'cancel' | 'rerun' | 'refused';
  principal: string;
  principal_kind: string;
  /** The peer address (IPv6: its /64), so a leaked token used from elsewhere shows. */
  client_ip?: string;
  method: string;
  /** Without the query string: a stream ticket travels there. */
  path: string;
  status: number;
  code?: string;
  correlation_id?: string;
  project_id?: string;
  /** The org the request named, when the entry is kept elsewhere (the caller's own org or the security log). */
  target_org?: string;
  /**
   * An MCP tool call (`POST /mcp`): the tool. Its `status` is the one the same command or refusal has on
   * `POST /sidecar/command` (202 accepted, or the 4xx), as the HTTP answer itself is a 200 carrying the result.
   */
  tool?: string;
  /** A decision of a batch (`POST /approvals/decide`): the ask it was about (a single decide names it in `path`). */
  ask_id?: string;
}

/**
 * A caller went past its refusal budget: `refusals_limited` when it happens (later refusals of that window are
 * counted, not written), `refusals_summary` once the window is over, with how many there were in all.
 */
export interface AuditLimitEntry {
  event: 'refusals_limited' | 'refusals_summary';
  principal: string;
  principal_kind: string;
  client_ip?: string;
  limit: number;
  window_start: string;
  window_end: string;
  /** Summary only: every refusal of the window, the `limit` written one by one included. */
  count?: number;
}

/**
 * The worker's verdict on a decision that reached a workflow, whichever door it came through (the API, or a
 * client talking to Temporal directly). Written to the org of the workflow the decision targeted.
 */
export interface AuditVerdictEntry {
  event: 'decision_verified' | 'decision_refused';
  /** Who the decision says decided; proven only for `decision_verified`. */
  principal: string;
  principal_kind: 'proof';
  decision: string;
  ask_id: string;
  workflow_id: string;
  correlation_id: string;
  project_id: string;
  code?: string;
}

/**
 * A command the workflow accepted, written by the bridge from its `command_accepted` report: it reaches the log
 * through the confirmed RabbitMQ path, so a Redis outage at the moment of the POST cannot lose it.
 */
export interface AuditCommandEntry {
  event: 'command_started';
  principal: string;
  principal_kind: 'requester';
  correlation_id: string;
  workflow_id: string;
  project_id: string;
  command_type: string;
}

/**
 * An agent activity's check where the effect happens: `effect_authorized` once per approval that ran its action,
 * `effect_refused` for every refusal (no approval for a RED action, a forged or foreign one, one used already,
 * reports for another command than the workflow's own).
 * Written to the org of the workflow that really scheduled the activity, or the security log when it names none.
 */
export interface AuditEffectEntry {
  event: 'effect_authorized' | 'effect_refused';
  /** The activity that was asked to act (runAgent, runRemoteAgent, publishReports). */
  activity: string;
  agent?: string;
  /** The execution Temporal says scheduled the activity, not what its input claims. */
  workflow_id: string;
  run_id: string;
  activity_id: string;
  ask_id?: string;
  /** Who approved, as their proofs (or the standing approval's signed grant) show. */
  approvers?: string;
  /** The standing approval that approved the ask, instead of people deciding it. */
  standing_approval_id?: string;
  correlation_id?: string;
  project_id?: string;
  code?: string;
}

/**
 * A message on the reports exchange that NEXUS did not seal (or whose body changed after sealing): dead-lettered by
 * the bridge, never stored. Written to the security log: what it claims about its org is not to be believed.
 */
export interface AuditReportEntry {
  event: 'report_refused';
  code: string;
  message_id?: string;
  routing_key: string;
  /** The org and report id the body claims, for the operator reading the log (not proven). */
  claimed_org?: string;
  claimed_report_id?: string;
}

/**
 * An activity scheduled with input NEXUS did not encrypt (plaintext, an unknown key, altered): refused before any
 * activity code ran. Written to the security log within a budget: whoever sent it claims nothing that is proven.
 */
export interface AuditPayloadEntry {
  event: 'payload_refused';
  activity: string;
  /** The execution Temporal says scheduled the activity. */
  workflow_id: string;
  run_id: string;
  activity_id: string;
  reason: string;
  encoding?: string;
  key_id?: string;
}

/**
 * An approval link's life: `link_issued` (one per approver), `link_opened` (its page shown: a mail scanner's
 * visit shows here too, and decides nothing), `link_decision` (its form posted, any status) and `link_refused`
 * (a link that is unknown, altered, used, expired, or whose approver lost the right). Written to the org of the
 * link's record once its signature is good; to the security log when it is not.
 */
export interface AuditLinkEntry {
  event: 'link_issued' | 'link_opened' | 'link_decision' | 'link_refused';
  /** Issued: who asked for the link; otherwise the approver the link was signed for (or `anonymous`). */
  principal: string;
  principal_kind: string;
  client_ip?: string;
  /** The link's id, never the link itself (that is a credential). */
  link_id?: string;
  ask_id?: string;
  approver?: string;
  project_id?: string;
  correlation_id?: string;
  status?: number;
  code?: string;
  decision?: string;
  /** Whoever opened or posted the link: a forwarded link used from another device shows here. */
  user_agent?: string;
  /** Issued by NEXUS itself to tell an approver: where it was sent and at which stage of the ask. */
  channel?: string;
  stage?: string;
}

/**
 * A standing approval's life in the API: `standing_created`, `standing_approved` (each further approver),
 * `standing_revoked`. Each ask it approves is audited where the effect happens (`effect_authorized` with its id).
 */
export interface AuditStandingEntry {
  event: 'standing_created' | 'standing_approved' | 'standing_revoked';
  principal: string;
  principal_kind: string;
  client_ip?: string;
  standing_approval_id: string;
  agent: string;
  project_id: string;
  /** What it matches: `action_digest:<digest>` or `params:<names>`. */
  match: string;
  status: string;
  expires_at?: string;
  reason?: string;
}

export type AuditEntry = AuditStandingEntry | AuditLinkEntry | AuditRequestEntry | AuditLimitEntry | AuditVerdictEntry | AuditCommandEntry | AuditEffectEntry | AuditReportEntry | AuditPayloadEntry;

/** Writes an entry unless one was written for `id` already, in one atomic step (redeliveries add nothing). */
const APPEND_ONCE = `if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
  return 1
end
return 0`;
/** Longer than any report can wait in RabbitMQ, like the report dedupe. */
const SEEN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * An append-only Redis stream per org (`<prefix>{audit:<org>}:audit`). Nothing in NEXUS deletes from it but the
 * MAXLEN trim. Never holds a token or a ticket: the principal is a token id and the path has no query.
 */
export class AuditLog {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.keys = new RedisKeys(prefix);
  }

  key(orgId: string): string {
    return this.keys.audit(orgId);
  }

  async append(orgId: string, entry: AuditEntry): Promise<void> {
    try {
      await this.appendStrict(orgId, entry);
    } catch (err) {
      // The request already has its answer; a lost audit entry is logged (without secrets) rather than hidden.
      this.logger.warn({ err: (err as Error).message, org_id: orgId, ...entry }, 'audit entry not written');
    }
  }

  /** For entries that must not be lost (decision verdicts): throws, so the caller retries until it is written. */
  async appendStrict(orgId: string, entry: AuditEntry): Promise<void> {
    await this.redis.xadd(this.key(orgId), 'MAXLEN', '~', String(AUDIT_MAXLEN), '*', ...fieldsOf(entry));
  }

  /** Like `appendStrict`, at most once per `id`. */
  async appendOnce(orgId: string, id: string, entry: AuditEntry): Promise<void> {
    await this.redis.eval(APPEND_ONCE, 2, this.key(orgId), this.keys.auditSeen(orgId, id), String(SEEN_TTL_SECONDS), String(AUDIT_MAXLEN), ...fieldsOf(entry));
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

function fieldsOf(entry: AuditEntry): string[] {
  return Object.entries({ ts: new Date().toISOString(), ...entry })
    .filter(([, v]) => v !== undefined && v !== '')
    .flatMap(([k, v]) => [k, String(v)]);
}
