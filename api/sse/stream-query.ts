import type { Context } from 'hono';
import { ClientKey, STREAM_PAGE_MAX, StreamCursor, StreamPageLimit } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import type { PageRequest } from './stream-page.js';

export interface StreamQuery {
  /** Resume after this id (undefined: from the start of the retained history). */
  cursor: string | undefined;
  filter: string | undefined;
  /** Set when the client asked for a bounded page (`limit`) instead of a live stream. */
  page: PageRequest | undefined;
}

/** Reads and checks the stream's query (and `Last-Event-ID`): every malformed or contradictory one is a 400. */
export function parseStreamQuery(c: Context): StreamQuery {
  const rawCursor = c.req.header('last-event-id') ?? c.req.query('cursor');
  const cursor = present(rawCursor) ? streamId(rawCursor, 'cursor', 'cursor / Last-Event-ID') : undefined;
  const rawFilter = c.req.query('correlation_id');
  const filter = rawFilter === undefined ? undefined : ClientKey.safeParse(rawFilter);
  if (filter && !filter.success) {
    throw new ApiError(400, 'invalid_request', 'correlation_id: must match [A-Za-z0-9_.:-]{1,128}');
  }
  const rawBefore = c.req.query('before');
  const before = present(rawBefore) ? streamId(rawBefore, 'before', 'before') : undefined;
  const rawLimit = c.req.query('limit');
  const asks = c.req.query('asks');
  if (asks !== undefined) return openAsksPage(asks, rawLimit, cursor !== undefined || before !== undefined || filter !== undefined);
  if (!present(rawLimit)) {
    if (before !== undefined) throw new ApiError(400, 'invalid_request', 'before pages backwards and needs limit (how many reports)', [{ path: 'limit', message: 'required with before' }]);
    return { cursor, filter: filter?.data, page: undefined };
  }
  const limit = pageLimit(rawLimit);
  if (before !== undefined && cursor !== undefined) {
    throw new ApiError(400, 'invalid_request', 'a page goes forward from cursor / Last-Event-ID or backward from before, not both', [{ path: 'before', message: 'not with cursor' }]);
  }
  const page: PageRequest = cursor !== undefined
    ? { page: 'forward', after: cursor, limit, filter: filter?.data }
    : { page: 'backward', before, limit, filter: filter?.data };
  return { cursor, filter: filter?.data, page };
}

/** `?asks=open`: the inbox's page, every open ask however old; it takes no position and no filter. */
function openAsksPage(asks: string, rawLimit: string | undefined, positioned: boolean): StreamQuery {
  if (asks !== 'open') throw new ApiError(400, 'invalid_request', 'asks must be "open"', [{ path: 'asks', message: 'must be "open"' }]);
  if (positioned) {
    throw new ApiError(400, 'invalid_request', 'asks=open is a page of its own: not with cursor / Last-Event-ID, before or correlation_id', [{ path: 'asks', message: 'not with a position or a filter' }]);
  }
  const limit = present(rawLimit) ? pageLimit(rawLimit) : STREAM_PAGE_MAX;
  return { cursor: undefined, filter: undefined, page: { page: 'open_asks', limit } };
}

function pageLimit(raw: string): number {
  const limit = StreamPageLimit.safeParse(raw);
  if (!limit.success) {
    throw new ApiError(400, 'invalid_request', `limit ${limit.error.issues[0]?.message ?? 'is invalid'}`, [{ path: 'limit', message: limit.error.issues[0]?.message ?? 'invalid' }]);
  }
  return limit.data;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function streamId(raw: string, path: string, name: string): string {
  const parsed = StreamCursor.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid_request', `${name} must be a stream id like 1700000000000-0`, [{ path, message: parsed.error.issues[0]?.message ?? 'invalid' }]);
  }
  return parsed.data;
}
