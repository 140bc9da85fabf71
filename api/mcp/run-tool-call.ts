import { randomUUID } from 'node:crypto';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Context } from 'hono';
import { ClientKey, MCP_CORRELATION_META, workflowIdFor, type CommandAccepted, type CommandRequest, type McpCommandOutcome } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import { CORRELATION_ATTRIBUTE, inSpan, SpanKind } from '../../infra/tracing/trace-context.js';
import type { ApiEnv } from '../api-env.js';
import type { CheckCommand, StartCommand } from '../commands/start-command.js';
import { ApiError } from '../errors.js';
import type { RecordedAct } from '../middleware/audit.js';
import { slotOwner, type SseClientLimiter } from '../sse/client-limiter.js';
import { CommandOutcome, outcomeText } from './command-outcome.js';
import { CommandWatch, type WatchDeps } from './command-watch.js';
import { progressLine } from './progress-line.js';
import { commandOf } from './tool-catalog.js';
import { WaitingCalls } from './waiting-calls.js';

export interface ToolCallDeps extends WatchDeps {
  checkCommand: CheckCommand;
  startCommand: StartCommand;
  /** A waiting call holds what an SSE client holds (a feed subscription, an open response): it takes one of its slots. */
  slots: SseClientLimiter;
  /** Where a client's `notifications/cancelled` finds the call it names. */
  waiting: WaitingCalls;
  /** Writes the call into the caller's audit log (a command accepted, or a refusal, which spends the refusal budget). */
  record: (c: Context<ApiEnv>, act: RecordedAct) => Promise<void>;
  /** Where people follow a command: the dashboard's run page, named in the progress lines. */
  publicUrl: string;
  /** With nothing new for this long, a progress line says the command is still waiting (and resets client timeouts). */
  idleMs: number;
  logger: Logger;
}

export interface ToolCall {
  name: string;
  arguments?: Record<string, unknown> | undefined;
  _meta?: Record<string, unknown> | undefined;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * One `tools/call`: the tool becomes a command of the caller's tenant, sent through the same door and checks as
 * `POST /sidecar/command` and run as the caller; its reports go out as progress notifications, and the call answers
 * once the command has ended, with its result, or with why it failed or was denied. The call cannot approve
 * anything: a RED step waits for people, however long the caller waits. A caller that goes away or cancels leaves
 * the command running; the dashboard shows how it ends.
 */
export async function runToolCall(deps: ToolCallDeps, c: Context<ApiEnv>, call: ToolCall, extra: Extra, endResponse: () => void): Promise<CallToolResult> {
  try {
    return await toolCall(deps, c, call, extra, endResponse);
  } catch (err) {
    // As an HTTP route's 500: logged here with what is known, never the error's own words to the caller.
    const rawCorrelation = call._meta?.[MCP_CORRELATION_META];
    deps.logger.error({ correlation_id: typeof rawCorrelation === 'string' ? rawCorrelation : undefined, tool: call.name, err: (err as Error).message }, 'mcp tool call failed');
    return refused(new ApiError(500, 'internal', 'NEXUS could not handle this call; it is logged'));
  }
}

async function toolCall(deps: ToolCallDeps, c: Context<ApiEnv>, call: ToolCall, extra: Extra, endResponse: () => void): Promise<CallToolResult> {
  const rawCorrelation = call._meta?.[MCP_CORRELATION_META];
  const correlation = rawCorrelation === undefined ? undefined : ClientKey.safeParse(rawCorrelation);
  const correlationId = correlation?.success ? correlation.data : undefined;
  const refuse = async (err: ApiError, commandCorrelation = correlationId): Promise<CallToolResult> => {
    // Like the audit trail: the caller's 4xx are refusals (and spend its refusal budget); a 503 is NEXUS's.
    if (err.status < 500) await deps.record(c, { event: 'refused', status: err.status, code: err.code, correlation_id: commandCorrelation, tool: call.name });
    return refused(err);
  };
  if (correlation && !correlation.success) {
    return refuse(new ApiError(400, 'invalid_request', `_meta["${MCP_CORRELATION_META}"] must match [A-Za-z0-9_.:-]{1,128}`));
  }
  const request = commandOf(call.name, call.arguments, correlationId);
  if ('invalid' in request) return refuse(ApiError.fromZod(request.invalid, 'invalid_request', 'arguments'));
  const t = c.get('tenant');
  const principal = c.get('principal');
  // Cancellable from here on, so a cancel that arrives while the call is checked still stops it.
  const wait = deps.waiting.enter(WaitingCalls.key(slotOwner(principal), t, extra.requestId), extra.signal, endResponse);
  try {
    // Checked before it takes a slot or a feed: a bad call is refused for what it is, whatever else is waiting.
    try {
      await deps.checkCommand(t, request);
    } catch (err) {
      if (err instanceof ApiError) return await refuse(err);
      throw err;
    }
    const release = deps.slots.acquire(slotOwner(principal));
    if (!release) {
      return await refuse(new ApiError(429, 'rate_limited', `at most ${deps.slots.max} open streams and waiting tool calls per token (NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL)`));
    }
    try {
      return await watchAndRun(deps, c, call, extra, request, wait.signal, refuse);
    } finally {
      release();
    }
  } finally {
    wait.leave();
  }
}

/** Opens the command's watch, starts the command, follows it to its end. */
async function watchAndRun(
  deps: ToolCallDeps,
  c: Context<ApiEnv>,
  call: ToolCall,
  extra: Extra,
  request: CommandRequest,
  signal: AbortSignal,
  refuse: (err: ApiError, correlationId?: string) => Promise<CallToolResult>,
): Promise<CallToolResult> {
  const t = c.get('tenant');
  let watch: CommandWatch | undefined;
  try {
    // The door picks the command_id, so the watch can open before the command starts: its first report is live.
    const commandId = randomUUID();
    const watched = { workflow_id: workflowIdFor(t, commandId), correlation_id: request.correlation_id ?? commandId };
    try {
      watch = await CommandWatch.open(deps, t, watched);
    } catch {
      return await refuse(ApiError.unavailable('Redis'));
    }
    // Cancelled (or hung up) while it was checked or the watch opened: nothing is started for a call nobody waits for.
    if (signal.aborted) return refused(new ApiError(400, 'invalid_request', 'the call was cancelled before its command started; nothing was started'));
    const accepted = await start(deps, c, call.name, { ...request, command_id: commandId });
    if (accepted instanceof ApiError) {
      // Temporal may have started it after all (a start can outlive its deadline): say which command to look for.
      const maybe = accepted.status === 503 ? ` If it started after all, it is command ${commandId} (correlation_id ${watched.correlation_id}).` : '';
      return await refuse(new ApiError(accepted.status, accepted.code, `${accepted.message}${maybe}`, accepted.issues, accepted.retryAfterSeconds), watched.correlation_id);
    }
    await deps.record(c, { event: 'command', status: 202, correlation_id: accepted.correlation_id, tool: call.name });
    return await follow(deps, call.name, accepted, watch, signal, extra);
  } finally {
    watch?.close();
  }
}

/** Starts the command in a span of its own, which names the correlation id (the request's span has ended by then). */
function start(deps: ToolCallDeps, c: Context<ApiEnv>, tool: string, request: CommandRequest): Promise<CommandAccepted | ApiError> {
  return inSpan('mcp tools/call', { kind: SpanKind.INTERNAL, attributes: { 'mcp.tool': tool } }, async (span) => {
    try {
      const accepted = await deps.startCommand(c, request);
      span.setAttribute(CORRELATION_ATTRIBUTE, accepted.correlation_id);
      return accepted;
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
  });
}

/** Turns the command's reports into progress lines until its end, which is the answer. */
async function follow(deps: ToolCallDeps, tool: string, accepted: CommandAccepted, watch: CommandWatch, signal: AbortSignal, extra: Extra): Promise<CallToolResult> {
  const page = new URL(`/ui/commands/${encodeURIComponent(accepted.correlation_id)}`, deps.publicUrl).toString();
  const log = deps.logger.child({ correlation_id: accepted.correlation_id, workflow_id: accepted.workflow_id });
  log.info({ tool }, 'mcp tool call started a command');
  const token = extra._meta?.progressToken;
  let sent = 0;
  const progress = async (message: string) => {
    if (token === undefined) return;
    sent += 1;
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: sent, message } }).catch(() => undefined);
  };
  const outcome = new CommandOutcome(accepted);
  // A plan's RED calls are asked about together: the call waits for people until the last of them is decided.
  const open = new Set<string>();
  const waiting = () => (open.size > 0 ? `waiting for a person's approval of ask ${[...open].join(', ')}` : 'running');
  for (;;) {
    const next = await watch.next(signal, deps.idleMs);
    if (next === undefined) {
      log.info({ tool }, 'mcp caller went away or cancelled; the command goes on');
      return { isError: true, content: [{ type: 'text', text: `the call ended before the command did; it goes on: ${page}` }] };
    }
    if (next === 'idle') {
      await progress(`still ${waiting()}`);
      continue;
    }
    const ended = outcome.add(next);
    if (ended) {
      log.info({ tool, status: ended.status }, 'mcp tool call answered');
      return answer(ended);
    }
    if (next.report_type === 'ask_created') open.add(next.payload.ask_id);
    if (next.report_type === 'ask_resolved' || next.report_type === 'ask_expired') open.delete(next.payload.ask_id);
    const line = progressLine(next, page);
    if (line !== undefined) await progress(line);
  }
}

function answer(outcome: McpCommandOutcome): CallToolResult {
  return {
    content: [{ type: 'text', text: outcomeText(outcome) }],
    structuredContent: outcome,
    ...(outcome.status === 'completed' ? {} : { isError: true }),
  };
}

/** A refusal before the command started is a tool error with the API's own code and words; nothing changed. */
function refused(err: ApiError): CallToolResult {
  const issues = err.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
  return { isError: true, content: [{ type: 'text', text: `${err.code}: ${err.message}${issues ? ` (${issues})` : ''}` }] };
}
