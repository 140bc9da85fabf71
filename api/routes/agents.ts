import { ApplicationFailure } from '@temporalio/common';
import { Hono } from 'hono';
import { AgentPreviewRequest, type AgentPreviewAnswer } from '../../contracts/index.js';
import { AgentError } from '../../agents/agent-error.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { requireRole } from '../middleware/auth.js';
import { readJson } from '../middleware/json-body.js';
import { orgRateLimit } from '../middleware/limits.js';

/**
 * `GET /agents`: the catalog (reference data, never command state), params as JSON Schema from the zod schemas.
 * Built per request: remote agents come and go with their announcements.
 * `POST /agents/{agent}/preview`: what an approver would be shown for these params (recipients, invalid rows, sample
 * messages), so a person can see a command before sending it. It runs the agent's preview only, which reads and
 * never acts; a preview that cannot be made is a 422 with the agent's reason. Not a command: it answers 200.
 */
export function agentRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.agents' });
  app.get('/agents', (c) => c.json({ agents: deps.agents.catalog() }));

  app.post('/agents/:agent/preview', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const name = c.req.param('agent');
    const agent = deps.agents.get(name);
    if (!agent) throw new ApiError(404, 'not_found', `no agent named "${name.slice(0, 100)}"`);
    const body = await readJson(c, AgentPreviewRequest, deps.limits.maxBodyBytes);
    const params = agent.params.safeParse(body.params);
    if (!params.success) throw ApiError.fromZod(params.error, 'invalid_params', 'params');
    const tenant = c.get('tenant');
    try {
      const preview = await deps.agents.preview(agent, params.data, { tenant, logger: log });
      const answer: AgentPreviewAnswer = {
        agent: agent.name,
        risk_level: deps.agents.declaredRisk(agent, params.data),
        title: preview.title,
        description: preview.description,
        ...(preview.details ? { details: preview.details } : {}),
      };
      return c.json(answer, 200, { 'cache-control': 'no-store' });
    } catch (err) {
      // The agent said why (a missing file, a template naming no column): the person's to fix, so a 422 in its words.
      const reason = err instanceof AgentError ? err.code : err instanceof ApplicationFailure ? (err.type ?? 'preview_failed') : undefined;
      if (reason === undefined) throw err;
      log.info({ org_id: tenant.org_id, project_id: tenant.project_id, agent: agent.name, reason }, 'preview refused');
      throw new ApiError(422, 'preview_failed', (err as Error).message, [{ path: 'params', message: reason }]);
    }
  });
  return app;
}
