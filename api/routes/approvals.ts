import { Hono } from 'hono';
import { AskId, DecideRequest } from '../../contracts/index.js';
import { decideAsk } from '../approvals/decide-ask.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { readJson } from '../middleware/json-body.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { askGuessLimit, orgRateLimit } from '../middleware/limits.js';

/**
 * `POST /approvals/{ask_id}/decide`. The ask index (per tenant) answers 404/409 at once and an atomic claim
 * stops two racing decisions; the workflow's update validator is the final word and the only thing that lets
 * RED work run.
 */
export function approvalRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.approvals' });

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
