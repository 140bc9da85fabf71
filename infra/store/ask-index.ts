import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { Report, type Decision, type ReportOf, type Tenant } from '../../contracts/index.js';
import type { RedisKeys } from './keys.js';

const CLAIM_SCRIPT = readFileSync(new URL('./claim-ask.lua', import.meta.url), 'utf8');

// Only a claim still in flight is given back; the bridge may already have recorded the real outcome. ARGV[2] names
// a decider whose decision did not count (refused or never delivered), so they may decide again.
const RELEASE_SCRIPT = `if redis.call('HGET', KEYS[1], 'status') == 'deciding' then redis.call('HSET', KEYS[1], 'status', ARGV[1]) end
if ARGV[2] ~= '' then redis.call('HDEL', KEYS[1], 'by:' .. ARGV[2]) end`;

export type ClaimOutcome = 'ok' | 'retry' | 'counted' | 'not_found' | 'not_pending' | 'closed' | 'expired' | 'digest_mismatch' | 'busy';

/** Longer than the API's Temporal deadline plus its retries: a claim older than this was abandoned. */
const CLAIM_STALE_MS = 60_000;

export interface ClaimResult {
  outcome: ClaimOutcome;
  workflowId: string;
  correlationId: string;
  /** The agent of the action awaiting approval: edited params are validated against its schema. */
  agent: string;
  /** Once the ask is resolved: the decision that settled it and who made it (for a precise 409). */
  settled: { decision: string; decidedBy: string } | undefined;
  /** This approver's delivery attempt: the same for a retry, new after a refusal (part of the update id). */
  attempt: number;
}

export interface AskView {
  status: string;
  expiresAt: string;
  actionDigest: string;
  correlationId: string;
  /** The `ask_created` report, JSON as stored. */
  report: string;
  settled: { decision: string; decidedBy: string } | undefined;
}

/** The `ask_created` report a view holds, checked against its contract; undefined when what is stored is not one. */
export function askCreatedOf(view: AskView): ReportOf<'ask_created'> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(view.report);
  } catch {
    return undefined;
  }
  const report = Report.safeParse(raw);
  return report.success && report.data.report_type === 'ask_created' ? report.data : undefined;
}

type RedisWithClaim = Redis & { nexusClaimAsk(...args: string[]): Promise<[ClaimOutcome, string, string, string, string, string, string]> };

/**
 * The ask index the bridge writes (from ask_created / ask_resolved / ask_expired) and the approval route reads.
 * Keys are per tenant, so another tenant's ask id is simply not found.
 */
export class AskIndex {
  private readonly redis: RedisWithClaim;

  constructor(redis: Redis, private readonly keys: RedisKeys) {
    if (!('nexusClaimAsk' in redis)) redis.defineCommand('nexusClaimAsk', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    this.redis = redis as RedisWithClaim;
  }

  async claim(tenant: Tenant, askId: string, decision: Decision, digest: string | undefined, now: Date, decidedBy: string): Promise<ClaimResult> {
    // ISO-8601 UTC strings of one format compare correctly as strings, which is what the script does.
    const [outcome, workflowId, correlationId, agent, settled, settledBy, attempt] = await this.redis.nexusClaimAsk(
      this.keys.ask(tenant, askId),
      now.toISOString(),
      digest ?? '',
      decision,
      decidedBy,
      String(now.getTime()),
      String(CLAIM_STALE_MS),
    );
    return { outcome, workflowId, correlationId, agent, settled: settledBy ? { decision: settled, decidedBy: settledBy } : undefined, attempt: Number(attempt) };
  }

  /**
   * What the index holds about an ask, for a page that shows it (an approval link): its `ask_created` report as the
   * bridge stored it, and whether a decision can still count. Undefined when no such ask is known in this tenant.
   */
  async view(tenant: Tenant, askId: string): Promise<AskView | undefined> {
    const [status, expiresAt, actionDigest, correlationId, report, decision, decidedBy] = await this.redis.hmget(
      this.keys.ask(tenant, askId), 'status', 'expires_at', 'action_digest', 'correlation_id', 'report', 'decision', 'decided_by');
    if (!status || !report) return undefined;
    return {
      // A claim in flight is still an open ask to anyone looking at it.
      status: status === 'deciding' ? 'pending' : status,
      expiresAt: expiresAt ?? '',
      actionDigest: actionDigest ?? '',
      correlationId: correlationId ?? '',
      report,
      settled: status === 'resolved' && decidedBy ? { decision: decision ?? '', decidedBy } : undefined,
    };
  }

  /** Gives a claim back when the decision never reached the workflow (Temporal down, validator refused). */
  async release(tenant: Tenant, askId: string, status: 'pending' | 'resolved' | 'expired' | 'closed', forget?: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.ask(tenant, askId), status, forget ?? '');
  }
}
