import { CallToolRequestSchema, InitializeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorIssue } from '../../contracts/index.js';
import { ApiError } from '../errors.js';

const CHECKED = { 'tools/call': CallToolRequestSchema, initialize: InitializeRequestSchema } as const;

/**
 * Checks the params of the requests NEXUS acts on before the SDK sees them, so a malformed call is a 400 naming the
 * field instead of a JSON-RPC internal error. One message per request: MCP dropped batches (2025-06-18), and a
 * batch of calls would start many commands for one unit of the org's write limit.
 */
export function checkMessage(body: unknown): void {
  if (Array.isArray(body)) throw new ApiError(400, 'invalid_request', 'send one JSON-RPC message per request, not a batch');
  if (body === null || typeof body !== 'object') throw new ApiError(400, 'invalid_request', 'the body is not a JSON-RPC message');
  const method = (body as { method?: unknown }).method;
  const schema = typeof method === 'string' && Object.hasOwn(CHECKED, method) ? CHECKED[method as keyof typeof CHECKED] : undefined;
  if (!schema) return;
  const parsed = schema.safeParse(body);
  if (parsed.success) return;
  const issues: ErrorIssue[] = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
  throw new ApiError(400, 'invalid_request', `${method}: ${issues[0]?.path ?? '(body)'}: ${issues[0]?.message ?? 'invalid'}`, issues);
}

