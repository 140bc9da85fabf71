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
  /**
   * Throws the 429 a single decide would get now (the decider's unknown-ask limit or refusal budget is spent): each
   * decision is checked as it is about to be tried, so a batch never probes past the limits its requests would.
   */
  mayTry: () => Promise<void>;
  /** No decision is begun after this (ms): those left are refused untried, so the answer comes within the deadline. */
  startBy: number;
  log: Logger;
}

/** A decision's result, and the refusal as thrown (its `Retry-After`), for the answer. */
interface Decided {
  result: BatchDecisionResult;
  refusal?: ApiError;
}

/**
 * Several asks decided by one approver in one request, each through the one decision path (`decideAsk`): its own
 * claim, digest check, signed proof and update, so a batch binds nothing more than the same decisions sent one by
 * one would. Each is answered on its own; none waits for or depends on another.
 */
export async function decideBatch(deps: BatchDeps, tenant: Tenant, decisions: BatchDecision[], decidedBy: string, roles: string[]): Promise<Decided[]> {
  const limit = pLimit(CONCURRENCY);
  return Promise.all(decisions.map((item) => limit(() => decideOne(deps, tenant, item, decidedBy, roles))));
}

async function decideOne(deps: BatchDeps, tenant: Tenant, item: BatchDecision, decidedBy: string, roles: string[]): Promise<Decided> {
  const { ask_id: askId, ...body } = item;
  let correlationId: string | undefined;
  let accepted: string | undefined;
  let refusal: ApiError | undefined;
  try {
    if (Date.now() > deps.startBy) throw new ApiError(503, 'backend_unavailable', 'not tried: the batch ran out of time before this decision; send it again', undefined, 1);
    await deps.mayTry();
    const answer = await decideAsk(deps, { tenant, askId, body, decidedBy, roles }, deps.log, (id) => {
      correlationId = id;
    });
    accepted = answer.correlation_id;
  } catch (err) {
    refusal = err instanceof ApiError ? err : new ApiError(500, 'internal', 'this decision could not be sent; send it again');
    if (!(err instanceof ApiError)) deps.log.error({ correlation_id: correlationId, ask_id: askId, err: (err as Error).message }, 'batch decision failed');
  }
  if (accepted !== undefined) {
    await deps.record({ event: 'decision', status: 202, correlation_id: accepted, ask_id: askId });
    return { result: { status: 'accepted', ask_id: askId, correlation_id: accepted } };
  }
  const err = refusal ?? new ApiError(500, 'internal', 'this decision could not be sent; send it again');
  await deps.record({ event: 'decision', status: err.status, code: err.code, correlation_id: correlationId, ask_id: askId });
  if (err.status === 404) await deps.miss();
  return {
    refusal: err,
    result: {
      status: 'refused',
      ask_id: askId,
      http_status: err.status,
      error: { code: err.code, message: err.message },
      ...(correlationId ? { correlation_id: correlationId } : {}),
    },
  };
}

/**
 * The answer: 202 with every result when at least one decision was accepted; otherwise the first refusal as thrown
 * (a batch of one answers exactly as the single decide), with each item's refusal in `issues` when there are more.
 */
export function batchAnswer(decided: Decided[]): BatchDecideAccepted {
  const results = decided.map((d) => d.result);
  const refused = decided.filter((d) => d.refusal !== undefined);
  const first = refused[0]?.refusal;
  if (first && refused.length === decided.length) {
    if (decided.length === 1) throw first;
    const issues = results.map((r, i) => ({ path: `decisions.${i}`, message: r.status === 'refused' ? `${r.ask_id}: ${r.error.code}: ${r.error.message}` : 'accepted' }));
    throw new ApiError(first.status, first.code, `${results[0]?.ask_id ?? ''}: ${first.message} (and ${refused.length - 1} more refused; see issues)`, issues, first.retryAfterSeconds);
  }
  return { status: 'accepted', accepted: results.length - refused.length, refused: refused.length, results };
}
