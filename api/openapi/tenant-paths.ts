import type { PathItem } from './openapi-types.js';
import { ASK_ID, COMMAND_ID, STREAM_PARAMETERS, TENANT_HEADERS, USER_ID } from './parameters.js';
import { authErrors, bodyErrors, error, json, unavailable } from './responses.js';
import { ref } from './schemas.js';
import { sseEventComponents, sseEventSchema } from './sse-events.js';

/**
 * The shape of the digest from the `ask_created` report the approver saw. All zeros matches no real action, so
 * when schemathesis sends the example first, the fuzz test's real ask stays pending for the generated requests.
 */
const EXAMPLE_DIGEST = `sha256:${'0'.repeat(64)}`;
/** Tokens mode needs the Bearer token; local mode (loopback only) trusts the tenant headers, hence the empty alternative. */
export const BEARER: Array<Record<string, string[]>> = [{ bearerToken: [] }, {}];
const INVALID_TENANT = '`invalid_tenant` when `x-org-id` / `x-project-id` are missing or malformed';

/** The tenant routes; statuses are exactly those the route code can answer (see api/routes/). */
export function tenantPaths(maxBodyBytes: number): Record<string, PathItem> {
  return {
    '/sidecar/command': {
      post: {
        operationId: 'sendCommand',
        tags: ['commands'],
        summary: 'Start a command',
        description:
          'Validates everything, starts a durable workflow and answers 202 with ids only; what happens next is on the report stream. ' +
          'The same `command_id` with the same body answers the same 202 and starts nothing new.',
        parameters: TENANT_HEADERS,
        security: BEARER,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('CommandRequest'), example: { type: 'agent.run', agent: 'echo', params: { hello: 'world' } } } },
        },
        responses: {
          '202': json('Accepted: the workflow is started (or already was, for a repeated `command_id`)', ref('CommandAccepted')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request', 'unknown_agent', 'invalid_params'], `Bad input; ${INVALID_TENANT}`),
          ...authErrors('`operator`'),
          '409': error(['conflict'], 'This `command_id` was already used with a different body'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Redis or Temporal (or no answer within NEXUS_REQUEST_TIMEOUT)'),
        },
      },
    },
    '/agents/{agent}/preview': {
      post: {
        operationId: 'previewAgentRun',
        tags: ['commands'],
        summary: 'See what a command would do, before sending it',
        description:
          'Checks `params` as `POST /sidecar/command` would and answers the preview an approver would be shown (for `student.excel_kakao`: ' +
          'recipients, the rows left out and why, the first messages). Reads, never acts; starts nothing. 200, not 202: nothing was accepted.',
        parameters: [...TENANT_HEADERS, { name: 'agent', in: 'path', required: true, description: 'An agent of `GET /agents`', schema: { type: 'string' } }],
        security: BEARER,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('AgentPreviewRequest'), example: { params: { hello: 'world' } } } },
        },
        responses: {
          '200': json('What the command would do, in the words an approver would read', ref('AgentPreviewAnswer')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request', 'invalid_params'], `Bad input (\`invalid_params\`: params the agent refuses); ${INVALID_TENANT}`),
          ...authErrors('`operator`'),
          '404': error(['not_found'], 'No agent of that name'),
          ...bodyErrors(maxBodyBytes),
          '422': error(['preview_failed'], 'The agent cannot preview these params (a missing file, a template naming no column); `issues[0].message` is its reason code'),
          '503': unavailable('No answer within NEXUS_REQUEST_TIMEOUT'),
        },
      },
    },
    '/approvals/{ask_id}/decide': {
      post: {
        operationId: 'decideAsk',
        tags: ['approvals'],
        summary: 'Approve or deny an ask',
        description: 'Delivers the decision to the waiting workflow and answers 202 once it accepted it; the outcome is on the report stream.',
        parameters: [...TENANT_HEADERS, ASK_ID, USER_ID],
        security: BEARER,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('DecideRequest'), example: { decision: 'approve', action_digest: EXAMPLE_DIGEST } } },
        },
        responses: {
          '202': json('Accepted: the workflow recorded the decision', ref('DecideAccepted')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request', 'invalid_params'], `Bad input (\`invalid_params\`: edited params the agent refuses); ${INVALID_TENANT}`),
          ...authErrors('`approver`', 'the per-org rate limit, or after too many unknown ask ids in a minute'),
          '404': error(['not_found'], 'No such ask in this tenant'),
          '409': error(['ask_not_pending', 'digest_mismatch'], 'The ask was already decided or expired, its agent is gone, or `action_digest` does not match'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Redis, Temporal or the workflow worker'),
        },
      },
    },
    '/approvals/decide': {
      post: {
        operationId: 'decideAsks',
        tags: ['approvals'],
        summary: 'Approve or deny several asks at once',
        description:
          'Each decision goes through the same path as a single decide (its own claim, digest check, signed proof and update), so a batch binds ' +
          'nothing more than the same decisions sent one by one; edits are single decides only. 202 when at least one was accepted, with every ' +
          "item's result in order; when none was, the first refusal's status and code (a batch of one answers as the single decide), each " +
          "item's refusal in `issues` (a batch of one answers exactly as the single decide). Each decision is audited on its own and spends " +
          "what a single decide would: one of the org's writes (NEXUS_RATE_LIMIT_PER_MIN), and the decider's unknown-ask and refusal limits, " +
          'checked before each try (once spent, the rest are refused `rate_limited` untried). None is begun after half of NEXUS_REQUEST_TIMEOUT ' +
          '(those left are refused `backend_unavailable`, untried).',
        parameters: [...TENANT_HEADERS, USER_ID],
        security: BEARER,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('BatchDecideRequest'), example: { decisions: [{ ask_id: 'ask_example', decision: 'approve', action_digest: EXAMPLE_DIGEST }] } } },
        },
        responses: {
          '202': json('Accepted: at least one decision was recorded by its workflow; each result says which', ref('BatchDecideAccepted')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request'], `Bad input (more than 50 decisions, an ask twice, an edit); ${INVALID_TENANT}`),
          ...authErrors('`approver`', 'the per-org rate limit, or after too many unknown ask ids in a minute'),
          '404': error(['not_found'], 'None was decided, the first for want of such an ask in this tenant'),
          '409': error(['ask_not_pending', 'digest_mismatch'], 'None was decided, the first because it was decided or expired, or `action_digest` does not match'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Redis, Temporal or the workflow worker, or no answer within NEXUS_REQUEST_TIMEOUT'),
        },
      },
    },
    '/commands/{command_id}/cancel': {
      post: {
        operationId: 'cancelCommand',
        tags: ['commands'],
        summary: 'Cancel a running command',
        description:
          'Asks the command\'s workflow to stop and answers 202; the stream then says how it ended: `task_cancelled` (an open ask closed with ' +
          'it, a running agent stopped), or the end it reached first. Audited with the caller. The body is optional.',
        parameters: [...TENANT_HEADERS, COMMAND_ID],
        security: BEARER,
        requestBody: {
          required: false,
          content: { 'application/json': { schema: ref('CancelRequest'), example: { reason: 'sent to the wrong class' } } },
        },
        responses: {
          '202': json('Accepted: the workflow was asked to stop', ref('CommandAccepted')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request'], `Bad input; ${INVALID_TENANT}`),
          ...authErrors('`operator`'),
          '404': error(['not_found'], 'No such command in this tenant'),
          '409': error(['command_not_running'], 'The command has ended already'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Temporal (or no answer within NEXUS_REQUEST_TIMEOUT)'),
        },
      },
    },
    '/commands/{command_id}/rerun': {
      post: {
        operationId: 'rerunCommand',
        tags: ['commands'],
        summary: 'Run a command again',
        description:
          'Starts a new command with the request of this one, read back from Temporal (not from the caller), and answers its ids; its ' +
          '`command_accepted` carries `rerun_of`. It is assessed again and, when RED, waits for a new approval; its sender is the caller. ' +
          'The body is optional: the new `command_id` (making a retried re-run idempotent), `correlation_id`, and `params` to change ' +
          '(an agent.run only: each replaces the original\'s value of that name, and the result is checked like a new command\'s; ' +
          '`command_accepted` then names the params that differ in `rerun_changes`). Audited as `rerun`.',
        parameters: [...TENANT_HEADERS, COMMAND_ID],
        security: BEARER,
        requestBody: {
          required: false,
          content: { 'application/json': { schema: ref('RerunRequest'), example: { command_id: 'rerun-2026-12-06-1', params: { channel: 'alimtalk' } } } },
        },
        responses: {
          '202': json('Accepted: the new command\'s workflow is started', ref('CommandAccepted')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request', 'unknown_agent', 'invalid_params'], `Bad input, or the original's agent or params are no longer accepted; ${INVALID_TENANT}`),
          ...authErrors('`operator`'),
          '404': error(['not_found'], 'No such command in this tenant, or Temporal no longer holds its request'),
          '409': error(['conflict'], 'This new `command_id` was already used with a different body'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Redis or Temporal (or no answer within NEXUS_REQUEST_TIMEOUT)'),
        },
      },
    },
    '/agent/reports/stream': {
      get: {
        operationId: 'streamReports',
        tags: ['reports'],
        summary: 'The report stream (SSE), the only source of command state',
        description:
          'Each report is `event: report`, `id: <stream id>`, `data: <Report JSON>`. A cursor older than the retention first gets `event: gap` ' +
          '(`data: <GapEvent JSON>`). Once the history is sent, `event: live` (`data: <LiveEvent JSON>`): the stream is up to date. ' +
          'Comment heartbeats keep it open; a backend fault ends it with `event: error` (`data: <ApiErrorBody JSON>`, code `backend_unavailable`) ' +
          'and a `retry:` hint, never a 5xx. With `limit` (or `asks=open`) it is a bounded page instead (for paging back through history): up to `limit` reports, ' +
          'oldest first, then `event: end` (`data: <PageEndEvent JSON>`) and the stream closes without a retry hint; it never goes live.',
        parameters: STREAM_PARAMETERS,
        security: [{ bearerToken: [] }, { streamTicket: [] }, {}],
        responses: {
          '200': {
            description: 'An endless `text/event-stream`; with `limit`, one that ends with `event: end`',
            content: {
              'text/event-stream': {
                // Per event, as schemathesis reads a 3.1 `schema` of text/event-stream; x-sse-events names each kind's data.
                schema: sseEventSchema(),
                'x-sse-events': sseEventComponents(),
              },
            },
          },
          '400': error(['invalid_tenant', 'invalid_request'], `A malformed \`cursor\` / \`Last-Event-ID\`, \`correlation_id\`, \`limit\`, \`before\` or \`asks\`, \`before\` without \`limit\` or with a cursor, \`asks\` with a position or filter; ${INVALID_TENANT}`),
          ...authErrors('`viewer`, `operator` or `approver`; a ticket covers only its own tenant', 'NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL open streams for this token'),
          '503': unavailable('Redis, needed to check the token or ticket (before the stream opens)'),
        },
      },
    },
    '/auth/stream-ticket': {
      post: {
        operationId: 'createStreamTicket',
        tags: ['auth'],
        summary: 'Trade a token for a short-lived, stream-only ticket',
        description:
          'For browsers: an EventSource cannot send `Authorization`, so it opens `/agent/reports/stream?ticket=…`. The ticket opens only the stream of ' +
          'the tenant in the headers, may be reused (reconnects) until `expires_at` (NEXUS_STREAM_TICKET_TTL), and dies with its token.',
        parameters: TENANT_HEADERS,
        security: BEARER,
        responses: {
          '201': json('A new ticket', {
            type: 'object',
            required: ['ticket', 'expires_at'],
            properties: { ticket: { type: 'string', pattern: '^nxt_[A-Za-z0-9_-]+$' }, expires_at: { type: 'string', format: 'date-time' } },
            additionalProperties: false,
          }),
          '400': error(['invalid_tenant'], INVALID_TENANT),
          ...authErrors('`viewer`, `operator` or `approver`'),
          '503': unavailable('Redis'),
        },
      },
    },
  };
}
