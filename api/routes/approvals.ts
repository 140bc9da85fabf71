import { Hono } from 'hono';
import { AskId, BatchDecideRequest, DecideRequest } from '../../contracts/index.js';
import type { RefusalBudget } from '../../infra/store/refusal-budget.js';
import { batchAnswer, decideBatch } from '../approvals/decide-batch.js';
import { decideAsk } from '../approvals/decide-ask.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { readJson } from '../middleware/json-body.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { recordRequest, refusalSubject } from '../middleware/audit.js';
import { askGuessLimit, askMisses, limited, orgRateLimit, orgWrites } from '../middleware/limits.js';

/**
 * `POST /approvals/{ask_id}/decide`. The ask index (per tenant) answers 404/409 at once and an atomic claim
 * stops two racing decisions; the workflow's update validator is the final word and the only thing that lets
 * RED work run.
 */
export function approvalRoutes(deps: ApiDeps, refusals: RefusalBudget) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.approvals' });
  const misses = askMisses(deps);
  const writes = orgWrites(deps);

  // Batch: several asks at once (a plan's calls, an inbox page), each still its own decision on its own digest.
  app.post('/approvals/decide', requireRole(['approver', 'admin']), orgRateLimit(deps), async (c) => {
    const { id: decidedBy, roles } = principalOf(c);
    await misses.check(decidedBy);
    const { decisions } = await readJson(c, BatchDecideRequest, deps.limits.maxBodyBytes);
    // Each decision is a write of the org's: the POST counted one already.
    await writes.spend(c.get('tenant').org_id, decisions.length - 1);
    c.set('audited', true);
    const subject = refusalSubject(c);
    const batch = {
      ...deps,
      log,
      record: (act: Parameters<typeof recordRequest>[3]) => recordRequest(deps.audit, refusals, c, act),
      miss: () => misses.hit(decidedBy),
      mayTry: async () => {
        await misses.check(decidedBy);
        const leftMs = await refusals.exhausted(subject);
        if (leftMs !== undefined) throw limited(`more than ${refusals.limit} refused requests this minute (NEXUS_REFUSAL_LIMIT_PER_MIN)`, leftMs);
      },
      // Half the request's time to begin decisions: one begun by then has its update's own deadline left to finish.
      startBy: Date.now() + deps.limits.requestTimeoutMs / 2,
    };
    const decided = await decideBatch(batch, c.get('tenant'), decisions, decidedBy, roles);
    return c.json(batchAnswer(decided), 202);
  });

  app.post('/approvals/:ask_id/decide', requireRole(['approver', 'admin']), orgRateLimit(deps), askGuessLimit(deps), async (c) => {
    const askId = AskId.safeParse(c.req.param('ask_id'));
    if (!askId.success) throw new ApiError(404, 'not_found', 'no such ask');
    const body = await readJson(c, DecideRequest, deps.limits.maxBodyBytes);
    const { id: decidedBy, roles } = principalOf(c);
    const accepted = await decideAsk(deps, { tenant: c.get('tenant'), askId: askId.data, body, decidedBy, roles }, log, (id) => c.set('correlationId', id));
    return c.json(accepted, 202);
  });

  return app;
}
