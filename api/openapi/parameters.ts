import { AskId, ClientKey, STREAM_PAGE_MAX, StreamCursor, Tenant } from '../../contracts/index.js';
import type { Parameter } from './openapi-types.js';
import { jsonSchema } from './schemas.js';

const orgId = jsonSchema(Tenant.shape.org_id, 'input');
const projectId = jsonSchema(Tenant.shape.project_id, 'input');

/** Every tenant route requires both headers; a missing or malformed one is a 400 `invalid_tenant`. */
export const TENANT_HEADERS: Parameter[] = [
  { name: 'x-org-id', in: 'header', required: true, description: 'Tenant: the organisation.', schema: orgId },
  { name: 'x-project-id', in: 'header', required: true, description: 'Tenant: the project.', schema: projectId },
];

export const ASK_ID: Parameter = {
  name: 'ask_id',
  in: 'path',
  required: true,
  description: 'The `ask_id` of an `ask_created` report. One that is not an ask id answers 404, like an unknown one.',
  schema: jsonSchema(AskId, 'input'),
};

export const COMMAND_ID: Parameter = {
  name: 'command_id',
  in: 'path',
  required: true,
  description: 'The `command_id` of a command of this tenant (the one sent, or the one the 202 named).',
  schema: jsonSchema(ClientKey, 'input'),
};

export const CORRELATION_ID: Parameter = {
  name: 'correlation_id',
  in: 'path',
  required: true,
  description: 'The correlation id of a command (the page finds its reports on the stream, however far back they go).',
  schema: jsonSchema(ClientKey, 'input'),
};

export const USER_ID: Parameter = {
  name: 'x-user-id',
  in: 'header',
  required: false,
  description: 'Local mode only: who decides, becomes `decided_by` (absent or malformed: `local`). With NEXUS_AUTH=tokens the token id is `decided_by` and this header is ignored.',
  schema: jsonSchema(ClientKey, 'input'),
};

/**
 * An EventSource cannot set headers, so the stream takes the tenant from the headers *or* the query; OpenAPI
 * cannot say "one of the two", so all four are optional here and a request with neither is a 400.
 */
export const STREAM_PARAMETERS: Parameter[] = [
  { name: 'x-org-id', in: 'header', required: false, description: 'Tenant: the organisation. Or `org_id` in the query.', schema: orgId },
  { name: 'x-project-id', in: 'header', required: false, description: 'Tenant: the project. Or `project_id` in the query.', schema: projectId },
  { name: 'org_id', in: 'query', required: false, description: 'Tenant organisation, for clients that cannot set `x-org-id`.', schema: orgId },
  { name: 'project_id', in: 'query', required: false, description: 'Tenant project, for clients that cannot set `x-project-id`.', schema: projectId },
  {
    name: 'Last-Event-ID',
    in: 'header',
    required: false,
    description: 'Resume after this stream id (an EventSource sends it when it reconnects). Wins over `cursor`.',
    schema: jsonSchema(StreamCursor, 'input'),
  },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'Resume after this stream id. Without one the whole retained history is replayed, then live.',
    schema: jsonSchema(StreamCursor, 'input'),
  },
  {
    name: 'ticket',
    in: 'query',
    required: false,
    description: 'A stream ticket from `POST /auth/stream-ticket`, for an EventSource (which cannot send `Authorization`).',
    schema: { type: 'string', maxLength: 100 },
  },
  {
    name: 'correlation_id',
    in: 'query',
    required: false,
    description: 'Only reports of this correlation id. On a page, the page holds up to `limit` matching reports but reads at most 10,000 entries (`more` says whether to go on).',
    schema: jsonSchema(ClientKey, 'input'),
  },
  {
    name: 'limit',
    in: 'query',
    required: false,
    description:
      'Ask for a bounded page instead of a live stream: at most this many reports, oldest first, then `event: end` (`data: <PageEndEvent JSON>`) and the stream closes ' +
      '(an EventSource must `close()` on `end`). Without `cursor` the page holds the newest reports (before `before` when given); with `cursor` / `Last-Event-ID` the oldest ones after it.',
    schema: { type: 'integer', minimum: 1, maximum: STREAM_PAGE_MAX },
  },
  {
    name: 'before',
    in: 'query',
    required: false,
    description: 'With `limit`: page backwards, taking the reports strictly before this stream id (pass the previous page\'s `oldest_id`). Not with `cursor`.',
    schema: jsonSchema(StreamCursor, 'input'),
  },
  {
    name: 'asks',
    in: 'query',
    required: false,
    description:
      '`open`: a page of the `ask_created` reports of every ask that can still be decided, however far back it was asked (the first `limit` to expire, ' +
      'default and most 1,000), oldest first, then `event: end`. For an inbox that loads only recent history. Not with a cursor, `before` or `correlation_id`.',
    schema: { type: 'string', enum: ['open'] },
  },
];
