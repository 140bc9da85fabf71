import { Hono, type Context } from 'hono';
import { CancelRequest, canonicalJson, ClientKey, CommandRequest, RerunRequest, workflowIdFor, type CommandAccepted } from '../../contracts/index.js';
import { commandStarter } from '../commands/start-command.js';
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
  const startCommand = commandStarter(deps);

  app.post('/sidecar/command', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const request = await readJson(c, CommandRequest, deps.limits.maxBodyBytes);
    return c.json(await startCommand(c, request), 202);
  });

  // Re-run: a new command with the original's request, read back from Temporal (never from the caller, who could
  // otherwise pass off any request as "the same again"); assessed and, when RED, approved anew, as its sender's.
  // Changed params are named on the new command's command_accepted, so "the same again" is never claimed for them.
  app.post('/commands/:command_id/rerun', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const original = commandIdParam(c.req.param('command_id'));
    const { params: changes, ...ids } = hasBody(c) ? await readJson(c, RerunRequest, deps.limits.maxBodyBytes) : {};
    const t = c.get('tenant');
    const input = await deps.gateway.inputOf(workflowIdFor(t, original));
    // Only a request NEXUS sealed for this very command: not another tenant's, not one planted under its id.
    if (!input || input.command_id !== original || input.tenant.org_id !== t.org_id || input.tenant.project_id !== t.project_id) {
      throw new ApiError(404, 'not_found', 'no such command, or Temporal no longer holds its request (past retention)');
    }
    const { command_id: _oldCommandId, correlation_id: _oldCorrelationId, ...request } = input.request;
    if (changes !== undefined && request.type !== 'agent.run') {
      throw new ApiError(400, 'invalid_request', 'only an agent.run command has params to change', [{ path: 'params', message: 'the command re-run is an instruction' }]);
    }
    const changed = request.type === 'agent.run' && changes !== undefined
      ? Object.keys(changes).filter((name) => canonicalJson(changes[name]) !== canonicalJson(request.params[name]))
      : [];
    const repeated = request.type === 'agent.run' && changes !== undefined ? { ...request, params: { ...request.params, ...changes } } : request;
    const accepted = await startCommand(c, { ...repeated, ...ids }, { of: original, changes: changed.sort() });
    log.info({ correlation_id: accepted.correlation_id, rerun_of: original }, 'command re-run requested');
    return c.json(accepted, 202);
  });

  // Cancel: the workflow ends the command on the stream itself (task_cancelled, its open ask closed), so the answer
  // carries ids only. Who asked is in the audit log (api/middleware/audit.ts).
  app.post('/commands/:command_id/cancel', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const commandId = commandIdParam(c.req.param('command_id'));
    const request = hasBody(c) ? await readJson(c, CancelRequest, deps.limits.maxBodyBytes) : {};
    const t = c.get('tenant');
    const workflowId = workflowIdFor(t, commandId);
    const cancel = await deps.gateway.cancel(workflowId);
    if (cancel.outcome === 'not_found') throw new ApiError(404, 'not_found', 'no such command');
    // The memo is the workflow's own (its id is the one this tenant and command_id derive): the audit line names it.
    const correlationId = cancel.correlationId ?? commandId;
    c.set('correlationId', correlationId);
    if (cancel.outcome === 'ended') throw new ApiError(409, 'command_not_running', 'this command has ended already; its end is on the stream');
    log.info({ correlation_id: correlationId, workflow_id: workflowId, cancelled_by: principalOf(c).id, reason: request.reason }, 'command cancellation requested');
    const body: CommandAccepted = { status: 'accepted', command_id: commandId, correlation_id: correlationId, workflow_id: workflowId };
    return c.json(body, 202);
  });

  return app;
}

/** A command_id in a path: anything that is not one cannot name a command here. */
function commandIdParam(raw: string): string {
  const commandId = ClientKey.safeParse(raw);
  if (!commandId.success) throw new ApiError(404, 'not_found', 'no such command');
  return commandId.data;
}

/** The bodies of cancel and re-run are optional: a bare POST is fine, a body given is checked strictly. */
function hasBody(c: Context<ApiEnv>): boolean {
  return (c.req.header('content-type') ?? '') !== '' || Number(c.req.header('content-length') ?? '0') > 0;
}
