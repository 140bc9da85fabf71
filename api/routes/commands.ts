import { createHash, randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import {
  CancelRequest,
  canonicalJson,
  ClientKey,
  CommandRequest,
  RerunRequest,
  workflowIdFor,
  type CommandAccepted,
  type CommandInput,
  type Tenant,
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

  /** Validates a command against the catalog, records its key, starts its workflow; answers its ids only. */
  async function startCommand(c: Context<ApiEnv>, request: CommandRequest, rerun?: { of: string; changes: string[] }): Promise<CommandAccepted> {
    const rerunOf = rerun?.of;
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
    if (request.type === 'instruction' && request.attachments) await checkAttachments(t, request.attachments);
    const commandId = request.command_id ?? randomUUID();
    const correlationId = request.correlation_id ?? commandId;
    c.set('correlationId', correlationId);
    const workflowId = workflowIdFor(t, commandId);

    if (request.command_id !== undefined) {
      // A re-run's key covers what it repeats too: the same new command_id for another original is a conflict.
      const keyed = rerunOf === undefined ? request : { request, rerun_of: rerunOf };
      const digest = createHash('sha256').update(canonicalJson(keyed)).digest('hex');
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
      ...(rerunOf !== undefined ? { rerun_of: rerunOf } : {}),
      ...(rerun && rerun.changes.length > 0 ? { rerun_changes: rerun.changes } : {}),
    };
    await deps.gateway.start(input);
    log.info({ correlation_id: correlationId, workflow_id: workflowId, type: request.type }, 'command accepted');
    return { status: 'accepted', correlation_id: correlationId, command_id: commandId, workflow_id: workflowId };
  }

  /** An instruction's files must be this project's: the planner would otherwise be told of a file no agent can read. */
  async function checkAttachments(t: Tenant, fileIds: readonly string[]): Promise<void> {
    const metas = await Promise.all(fileIds.map((id) => deps.files.store.meta(t, id)));
    const issues = fileIds.flatMap((id, i) => (metas[i] ? [] : [{ path: `attachments.${i}`, message: `no file ${id} in this project; upload it with POST /files` }]));
    if (issues.length > 0) throw new ApiError(400, 'invalid_request', 'an attachment is not a file of this project', issues);
  }

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
