import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolRequestSchema, CancelledNotificationSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import type { RefusalBudget } from '../../infra/store/refusal-budget.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { commandChecker, commandStarter } from '../commands/start-command.js';
import { ApiError } from '../errors.js';
import { recordRequest } from '../middleware/audit.js';
import { readJson } from '../middleware/json-body.js';
import { requireRole } from '../middleware/auth.js';
import { orgRateLimit } from '../middleware/limits.js';
import { checkMessage } from '../mcp/request-check.js';
import { runToolCall, type ToolCallDeps } from '../mcp/run-tool-call.js';
import { toolsOf } from '../mcp/tool-catalog.js';
import { WaitingCalls } from '../mcp/waiting-calls.js';
import { slotOwner } from '../sse/client-limiter.js';

const INSTRUCTIONS =
  'NEXUS supervises agents for an organization. Each tool starts a command in your project and answers when it has ended. ' +
  'RED actions (sharing outside the organization, messaging parents) wait for a person to approve them in NEXUS; you cannot approve them here. ' +
  'Progress notifications tell you what the command is doing and where people follow it.';

/**
 * `POST /mcp`: NEXUS as an MCP server (Streamable HTTP, stateless: every request stands alone, so any API process
 * answers it). The caller authenticates like any API caller (Bearer token, or local mode's headers) and needs the
 * operator role in the tenant named by `x-org-id` / `x-project-id` (or `?org_id=&project_id=`, for clients that take
 * only a URL). There is no approval tool, on purpose: the assistant that asks may not also decide.
 */
export function mcpRoutes(deps: ApiDeps, refusals: RefusalBudget) {
  const app = new Hono<ApiEnv>();
  const waiting = new WaitingCalls();
  const calls: ToolCallDeps = {
    feeds: deps.feeds,
    store: deps.store,
    logger: deps.logger.child({ module: 'api.mcp' }),
    checkCommand: commandChecker(deps),
    startCommand: commandStarter(deps),
    slots: deps.sseClients,
    waiting,
    record: (c, act) => recordRequest(deps.audit, refusals, c, act),
    publicUrl: deps.links.publicUrl,
    idleMs: Math.max(1_000, deps.sse.heartbeatMs),
  };
  const gate = requireRole('operator', { allowQuery: true });

  app.post('/mcp', gate, orgRateLimit(deps), async (c) => {
    const hungUp = c.req.raw.signal;
    const body = await readJson(c, z.unknown(), deps.limits.maxBodyBytes);
    checkMessage(body);

    const server = new Server({ name: 'nexus', version: pkg.version }, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsOf(deps.agents.catalog()) }));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => runToolCall(calls, c, request.params, extra, () => void server.close()));
    // Stateless: a cancel arrives in a request of its own, to a server that never saw the call; it is handled only
    // once the transport accepted the message, so a malformed one cancels nothing.
    server.setNotificationHandler(CancelledNotificationSchema, (note) => {
      if (note.params.requestId !== undefined) waiting.cancel(WaitingCalls.key(slotOwner(c.get('principal')), c.get('tenant'), note.params.requestId));
    });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, keepAliveMs: Math.max(1_000, deps.sse.heartbeatMs) });
    await server.connect(transport);
    // A caller that hangs up ends its tool call's wait (closing the server aborts its handlers); the command goes on.
    // One that hung up already, while its body was read, never fires the event.
    if (hungUp.aborted) await server.close();
    else hungUp.addEventListener('abort', () => void server.close(), { once: true });
    return transport.handleRequest(c.req.raw, { parsedBody: body });
  });

  // Stateless: no stream of the server's own to open, no session to end.
  app.all('/mcp', gate, (c) => {
    // The official client asks for a stream after every initialization and takes the 405 as "none": not a refusal.
    c.set('audited', true);
    c.header('Allow', 'POST');
    throw new ApiError(405, 'method_not_allowed', 'this MCP endpoint is stateless: send each request as a POST');
  });
  return app;
}
