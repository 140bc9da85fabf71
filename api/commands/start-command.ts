import { createHash, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { canonicalJson, workflowIdFor, type CommandAccepted, type CommandInput, type CommandRequest, type Tenant } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { principalOf } from '../middleware/auth.js';

/** What a re-run repeats: the command_id of the original and the names of the params it changed. */
export interface RerunOf {
  of: string;
  changes: string[];
}

export type StartCommand = (c: Context<ApiEnv>, request: CommandRequest, rerun?: RerunOf) => Promise<CommandAccepted>;
export type CheckCommand = (t: Tenant, request: CommandRequest) => Promise<void>;

/**
 * What every command must pass before anything is recorded or started: a known agent and params it accepts, or an
 * instruction's files of this project. Throws the ApiError (4xx) a client sees.
 */
export function commandChecker(deps: Pick<ApiDeps, 'agents' | 'files'>): CheckCommand {
  /** An instruction's files must be this project's: the planner would otherwise be told of a file no agent can read. */
  async function checkAttachments(t: Tenant, fileIds: readonly string[]): Promise<void> {
    const metas = await Promise.all(fileIds.map((id) => deps.files.store.meta(t, id)));
    const issues = fileIds.flatMap((id, i) => (metas[i] ? [] : [{ path: `attachments.${i}`, message: `no file ${id} in this project; upload it with POST /files` }]));
    if (issues.length > 0) throw new ApiError(400, 'invalid_request', 'an attachment is not a file of this project', issues);
  }

  return async (t, request) => {
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
    if (request.type === 'instruction' && request.attachments) await checkAttachments(t, request.attachments);
  };
}

/**
 * Validates a command against the catalog, records its key, starts its workflow; answers its ids only. Every door
 * that starts commands (`POST /sidecar/command`, re-run, MCP tool calls) goes through it, so each is checked alike
 * and runs as the caller who sent it.
 */
export function commandStarter(deps: ApiDeps): StartCommand {
  const log = deps.logger.child({ module: 'api.commands' });
  const check = commandChecker(deps);

  return async (c, request, rerun) => {
    const rerunOf = rerun?.of;
    const t = c.get('tenant');
    await check(t, request);
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
  };
}
