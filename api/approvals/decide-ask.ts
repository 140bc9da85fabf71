import type { DecideAccepted, DecideInput, DecideRequest, Tenant } from '../../contracts/index.js';
import { DECIDE_REJECTIONS } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import type { ApiDeps } from '../api-deps.js';
import { ApiError } from '../errors.js';

/** One decision on one ask, from whichever door it came in: the decide route or an approval link. */
export interface AskDecision {
  tenant: Tenant;
  askId: string;
  body: DecideRequest;
  /** Who decides, and the roles this API verified for them (a token's, a link's signed record). */
  decidedBy: string;
  roles: string[];
}

/**
 * Claims the ask in the index (404/409 at once, and an atomic claim stops two racing decisions), signs the
 * decision and sends it to the workflow as the `decide` update, whose validator is the final word. Answers the
 * 202 body, or throws the ApiError the refusal deserves; `onCorrelation` hears the ask's correlation id as soon
 * as it is known, so even a refusal is logged and audited under it.
 */
export async function decideAsk(
  deps: Pick<ApiDeps, 'askIndex' | 'agents' | 'seal' | 'gateway'>,
  { tenant: t, askId, body, decidedBy, roles }: AskDecision,
  log: Logger,
  onCorrelation: (correlationId: string | undefined) => void,
): Promise<DecideAccepted> {
  const claim = await deps.askIndex.claim(t, askId, body.decision, body.action_digest, new Date(), decidedBy).catch(() => {
    throw ApiError.unavailable('Redis');
  });
  onCorrelation(claim.correlationId || undefined);
  const accepted: DecideAccepted = { status: 'accepted', ask_id: askId, correlation_id: claim.correlationId };
  switch (claim.outcome) {
    case 'not_found':
      throw new ApiError(404, 'not_found', 'no such ask');
    case 'not_pending':
      throw new ApiError(409, 'ask_not_pending', claim.settled
        ? `this ask was already decided: ${claim.settled.decision} by ${claim.settled.decidedBy}`
        : 'this ask was already decided');
    case 'counted':
      // A retry of a decide whose answer was lost: this approver's same decision is one the ask counted.
      log.info({ correlation_id: claim.correlationId, ask_id: askId, decided_by: decidedBy }, 'decision already recorded; answering the retry');
      return accepted;
    case 'busy':
      // Another approver's decision is in flight (M-of-N); this one is not refused, just not yet.
      throw new ApiError(503, 'backend_unavailable', 'another decision on this ask is being recorded; retry in a moment', undefined, 1);
    case 'expired':
      throw new ApiError(409, 'ask_not_pending', 'this ask has expired');
    case 'closed':
      throw new ApiError(409, 'ask_not_pending', 'the command of this ask ended before a decision counted (cancelled, or stopped in Temporal)');
    case 'digest_mismatch':
      throw new ApiError(409, 'digest_mismatch', 'action_digest does not match the action awaiting approval');
    case 'retry':
      // This approver sent this decision before and may not have had an answer (the API died, Temporal was
      // down): sending it again under the same update id either lands it now or returns Temporal's first answer.
    case 'ok':
      break;
  }

  if (body.params !== undefined) {
    // Edit and approve: the edit must be valid for the agent before it can reach the workflow.
    const agent = deps.agents.get(claim.agent);
    const problem = body.decision !== 'approve'
      ? new ApiError(400, 'invalid_request', 'params can only be sent with decision "approve"', [{ path: 'params', message: 'only with approve' }])
      : !agent ? new ApiError(409, 'ask_not_pending', 'the agent of this ask is no longer available')
        : (() => {
          const parsed = agent.params.safeParse(body.params);
          return parsed.success ? undefined : ApiError.fromZod(parsed.error, 'invalid_params', 'params');
        })();
    if (problem) {
      await deps.askIndex.release(t, askId, 'pending', decidedBy).catch(() => undefined);
      throw problem;
    }
  }

  // Signed here, after every check above: the proof is what lets the workflow act on the decision, and the
  // roles in it are the ones this API verified, not ones a message declares.
  const input: DecideInput = deps.seal.sign({
    ask_id: askId,
    workflow_id: claim.workflowId,
    tenant: t,
    decision: body.decision,
    ...(body.reason !== undefined ? { reason: body.reason } : {}),
    action_digest: body.action_digest,
    ...(body.params !== undefined ? { params: body.params } : {}),
    decided_by: decidedBy,
    roles,
    decided_at: new Date().toISOString(),
  });
  let outcome;
  try {
    outcome = await deps.gateway.decide(claim.workflowId, input, deps.seal.updateId(input, claim.attempt));
  } catch (err) {
    await deps.askIndex.release(t, askId, 'pending', decidedBy).catch(() => undefined);
    throw err;
  }
  if (!outcome.ok && outcome.rejection === DECIDE_REJECTIONS.alreadyCounted) {
    // This approver's same decision counted already (an earlier attempt landed after its answer was lost).
    await deps.askIndex.release(t, askId, 'pending').catch(() => undefined);
    log.info({ correlation_id: claim.correlationId, ask_id: askId, decided_by: decidedBy }, 'decision already counted; answering the retry');
    return accepted;
  }
  if (!outcome.ok) {
    // The ask stays decidable unless the refusal says it is over (expired, or settled by someone else).
    const over = outcome.rejection === DECIDE_REJECTIONS.expired ? 'expired'
      // Temporal holds no running workflow for it (stopped outside NEXUS): no decision can count any more.
      : outcome.rejection === DECIDE_REJECTIONS.workflowClosed ? 'closed' : 'pending';
    await deps.askIndex.release(t, askId, over, decidedBy).catch(() => undefined);
    log.warn({ correlation_id: claim.correlationId, ask_id: askId, rejection: outcome.rejection, reason: outcome.message }, 'decision refused by workflow');
    switch (outcome.rejection) {
      case DECIDE_REJECTIONS.unknownAsk:
        throw new ApiError(404, 'not_found', 'no such ask');
      case DECIDE_REJECTIONS.digestMismatch:
        throw new ApiError(409, 'digest_mismatch', outcome.message);
      case DECIDE_REJECTIONS.separationOfDuties:
      case DECIDE_REJECTIONS.notAllowed:
        throw new ApiError(403, 'forbidden', outcome.message);
      case DECIDE_REJECTIONS.unverifiable:
        throw new ApiError(503, 'backend_unavailable', outcome.message, undefined, 1);
      case DECIDE_REJECTIONS.unsigned:
      case DECIDE_REJECTIONS.forged:
      case DECIDE_REJECTIONS.keyUnknown:
      case DECIDE_REJECTIONS.stale:
      case DECIDE_REJECTIONS.foreign:
      case DECIDE_REJECTIONS.replayed:
        // The worker refused this API's own proof: the two hold different NEXUS_DECISION_KEYS (or clocks).
        log.error({ correlation_id: claim.correlationId, ask_id: askId, rejection: outcome.rejection }, 'the worker refused a decision this API signed; check NEXUS_DECISION_KEYS on both');
        throw new ApiError(503, 'backend_unavailable', 'the decision could not be verified by the worker; retry later', undefined, 5);
      case DECIDE_REJECTIONS.editWithQuorum:
        throw new ApiError(400, 'invalid_request', outcome.message, [{ path: 'params', message: outcome.message }]);
      default:
        throw new ApiError(409, 'ask_not_pending', outcome.message);
    }
  }
  // One approval of several: the ask stays open for the next approver.
  if (!outcome.final) await deps.askIndex.release(t, askId, 'pending').catch(() => undefined);
  log.info({ correlation_id: claim.correlationId, ask_id: askId, decision: body.decision, decided_by: decidedBy }, 'decision accepted');
  return accepted;
}
