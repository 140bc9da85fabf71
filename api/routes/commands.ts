import { createHash, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import {
  CancelRequest,
  canonicalJson,
  ClientKey,
  CommandRequest,
  workflowIdFor,
  type CommandAccepted,
  type CommandInput,
} from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { readJson } from '../middleware/json-body.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { orgRateLimit } from '../middleware/limits.js';

/** `POST /sidecar/command`: validate everything first, start the workflow, answer 202 and nothing more. */
export function commandRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.commands' });

  app.post('/sidecar/command', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const request = await readJson(c, CommandRequest, deps.limits.maxBodyBytes);
    if (request.type === 'agent.run') {
      const agent = deps.agents.get(request.agent);
      if (!agent) {
        throw new ApiError(400, 'unknown_agent', `no agent named "${request.agent}"`, [
          { path: 'agent', message: `unknown agent; known: ${deps.agents.catalog().map((a) => a.name).join(', ')}` },
        ]);
      }
      const params = agent.params.safeParse(request.params);
      if (!params.success) throw ApiError.fromZod(params.error, 'invalid_params', 'params');
    }

    const t = c.get('tenant');
    const commandId = request.command_id ?? randomUUID();
    const correlationId = request.correlation_id ?? commandId;
    c.set('correlationId', correlationId);
    const workflowId = workflowIdFor(t, commandId);

    if (request.command_id !== undefined) {
      const digest = createHash('sha256').update(canonicalJson(request)).digest('hex');
      const same = await deps.ledger.record(t, commandId, digest).catch((err: unknown) => {
        log.warn({ correlation_id: correlationId, err: (err as Error).message }, 'redis unavailable');
        throw ApiError.unavailable('Redis');
      });
      if (!same) {
        throw new ApiError(409, 'conflict', `command_id "${commandId}" was already used with a different body`);
      }
    }

    const input: CommandInput = {
      tenant: t,
      command_id: commandId,
      correlation_id: correlationId,
      workflow_id: workflowId,
      request,
      received_at: new Date().toISOString(),
      requested_by: principalOf(c).id,
      settings: deps.settings,
    };
    await deps.gateway.start(input);
    log.info({ correlation_id: correlationId, workflow_id: workflowId, type: request.type }, 'command accepted');
    const body: CommandAccepted = {
      status: 'accepted',
      correlation_id: correlationId,
      command_id: commandId,
      workflow_id: workflowId,
    };
    return c.json(body, 202);
  });

  // Cancel: the workflow ends the command on the stream itself (task_cancelled, its open ask closed), so the answer
  // carries ids only. Who asked is in the audit log (api/middleware/audit.ts).
  app.post('/commands/:command_id/cancel', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const commandId = ClientKey.safeParse(c.req.param('command_id'));
    if (!commandId.success) throw new ApiError(404, 'not_found', 'no such command');
    const hasBody = (c.req.header('content-type') ?? '') !== '' || Number(c.req.header('content-length') ?? '0') > 0;
    const request = hasBody ? await readJson(c, CancelRequest, deps.limits.maxBodyBytes) : {};
    const t = c.get('tenant');
    const workflowId = workflowIdFor(t, commandId.data);
    const cancel = await deps.gateway.cancel(workflowId);
    if (cancel.outcome === 'not_found') throw new ApiError(404, 'not_found', 'no such command');
    // The memo is the workflow's own (its id is the one this tenant and command_id derive): the audit line names it.
    const correlationId = cancel.correlationId ?? commandId.data;
    c.set('correlationId', correlationId);
    if (cancel.outcome === 'ended') throw new ApiError(409, 'command_not_running', 'this command has ended already; its end is on the stream');
    log.info({ correlation_id: correlationId, workflow_id: workflowId, cancelled_by: principalOf(c).id, reason: request.reason }, 'command cancellation requested');
    const body: CommandAccepted = { status: 'accepted', command_id: commandId.data, correlation_id: correlationId, workflow_id: workflowId };
    return c.json(body, 202);
  });

  return app;
}
