import pLimit from 'p-limit';
import type { BatchDecideAccepted, BatchDecision, BatchDecisionResult, Tenant } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import type { ApiDeps } from '../api-deps.js';
import { ApiError } from '../errors.js';
import type { RecordedAct } from '../middleware/audit.js';
import { decideAsk } from './decide-ask.js';

/** Decisions of one batch sent to their workflows at once: each waits for its update, so a plan's three take one wait. */
const CONCURRENCY = 8;

export interface BatchDeps extends Pick<ApiDeps, 'askIndex' | 'agents' | 'seal' | 'gateway'> {
  /** Writes one decision's audit entry (the route writes them all; the audit trail writes none for the request). */
  record: (act: RecordedAct) => Promise<void>;
  /** Counts an unknown ask id against the decider, like the single decide's 404 does. */
  miss: () => Promise<void>;
  log: Logger;
}

/**
 * Several asks decided by one approver in one request, each through the one decision path (`decideAsk`): its own
 * claim, digest check, signed proof and update, so a batch binds nothing more than the same decisions sent one by
 * one would. Each is answered on its own; none waits for or depends on another.
 */
export async function decideBatch(deps: BatchDeps, tenant: Tenant, decisions: BatchDecision[], decidedBy: string, roles: string[]): Promise<BatchDecisionResult[]> {
  const limit = pLimit(CONCURRENCY);
  return Promise.all(decisions.map((item) => limit(() => decideOne(deps, tenant, item, decidedBy, roles))));
}

async function decideOne(deps: BatchDeps, tenant: Tenant, item: BatchDecision, decidedBy: string, roles: string[]): Promise<BatchDecisionResult> {
  const { ask_id: askId, ...body } = item;
  let correlationId: string | undefined;
  try {
    const accepted = await decideAsk(deps, { tenant, askId, body, decidedBy, roles }, deps.log, (id) => {
      correlationId = id;
    });
    await deps.record({ event: 'decision', status: 202, correlation_id: accepted.correlation_id, ask_id: askId });
    return { status: 'accepted', ask_id: askId, correlation_id: accepted.correlation_id };
  } catch (err) {
    const refusal = err instanceof ApiError ? err : new ApiError(500, 'internal', 'this decision could not be sent; retry it');
    if (!(err instanceof ApiError)) deps.log.error({ correlation_id: correlationId, ask_id: askId, err: (err as Error).message }, 'batch decision failed');
    await deps.record({ event: 'decision', status: refusal.status, code: refusal.code, correlation_id: correlationId, ask_id: askId });
    if (refusal.status === 404) await deps.miss();
    return {
      status: 'refused',
      ask_id: askId,
      http_status: refusal.status,
      error: { code: refusal.code, message: refusal.message },
      ...(correlationId ? { correlation_id: correlationId } : {}),
    };
  }
}

/**
 * The answer: 202 with every result when at least one decision was accepted; otherwise the first refusal's status
 * and code (a batch of one answers exactly as the single decide), each item's refusal in `issues`.
 */
export function batchAnswer(results: BatchDecisionResult[]): BatchDecideAccepted {
  const refused = results.filter((r) => r.status === 'refused');
  const first = refused[0];
  if (first && refused.length === results.length) {
    const issues = results.map((r, i) => ({ path: `decisions.${i}`, message: r.status === 'refused' ? `${r.ask_id}: ${r.error.code}: ${r.error.message}` : 'accepted' }));
    const retryAfter = first.http_status === 503 ? 1 : undefined;
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more refused; see issues)` : '';
    throw new ApiError(first.http_status as ApiError['status'], first.error.code, `${first.ask_id}: ${first.error.message}${more}`, issues, retryAfter);
  }
  return { status: 'accepted', accepted: results.length - refused.length, refused: refused.length, results };
}
