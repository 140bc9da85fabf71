import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { ClientKey, StreamCursor, type GapEvent, type Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { requireRole } from '../middleware/auth.js';
import { toFeedEntry, type FeedEntry, type FeedSubscription } from '../sse/report-feed.js';

const HISTORY_PAGE = 500;

/**
 * `GET /agent/reports/stream`. Bad input is a 400 before the stream opens; once it is open, any backend fault
 * becomes a `retry:` hint and a clean close, because an EventSource gives up for good on a non-200 answer.
 */
export function streamRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.stream' });

  app.get('/agent/reports/stream', requireRole(['viewer', 'operator', 'approver'], { allowQuery: true }), (c) => {
    const t = c.get('tenant');
    const principal = c.get('principal');
    const rawCursor = c.req.header('last-event-id') ?? c.req.query('cursor');
    const cursor = rawCursor === undefined || rawCursor === '' ? undefined : StreamCursor.safeParse(rawCursor);
    if (cursor && !cursor.success) {
      throw new ApiError(400, 'invalid_request', 'cursor / Last-Event-ID must be a stream id like 1700000000000-0', [
        { path: 'cursor', message: cursor.error.issues[0]?.message ?? 'invalid' },
      ]);
    }
    const rawFilter = c.req.query('correlation_id');
    const filter = rawFilter === undefined ? undefined : ClientKey.safeParse(rawFilter);
    if (filter && !filter.success) {
      throw new ApiError(400, 'invalid_request', 'correlation_id: must match [A-Za-z0-9_.:-]{1,128}');
    }
    // Counted per token (a ticket counts against the token that minted it); taken last, so a 400 holds no slot.
    const release = deps.sseClients.acquire(principal.token_id ?? `${principal.kind}:${principal.id}`);
    if (!release) {
      throw new ApiError(429, 'rate_limited', `at most ${deps.sseClients.max} open streams per token (NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL)`, undefined, 5);
    }
    c.header('X-Accel-Buffering', 'no');

    return streamSSE(c, async (stream) => {
      let sub: FeedSubscription | undefined;
      stream.onAbort(() => {
        sub?.close();
        release();
      });
      const session = new StreamSession(stream, t, cursor?.data ?? '0-0', filter?.data, deps);
      try {
        await stream.write(`retry: ${deps.sse.retryMs}\n\n`);
        sub = await deps.feeds.subscribe(t);
        // A client that stopped reading leaves our write blocked on backpressure: only closing its socket frees
        // the session, the subscription and its slot. It reconnects and resumes from its last id.
        sub.onFailure = (reason) => {
          if (reason === 'overflow') (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing?.destroy();
        };
        if (stream.aborted) return;
        await session.run(sub);
        if (sub.failure === 'overflow') log.warn({ org_id: t.org_id, project_id: t.project_id }, 'slow SSE client dropped; it will resume from its last id');
      } catch (err) {
        log.warn({ err: (err as Error).message, org_id: t.org_id }, 'stream ended by a backend fault');
      } finally {
        release();
        sub?.close();
        if (!stream.aborted && !stream.closed) {
          await stream.write(`retry: ${deps.sse.retryMs}\n\n`).catch(() => undefined);
        }
      }
    });
  });

  return app;
}

/** One client's stream: the history it missed, then live entries, each id sent at most once and in order. */
class StreamSession {
  private lastSent: string;

  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly tenant: Tenant,
    private readonly cursor: string,
    private readonly filter: string | undefined,
    private readonly deps: ApiDeps,
  ) {
    this.lastSent = cursor;
  }

  async run(sub: FeedSubscription): Promise<void> {
    await this.announceGap();
    // Live entries after `joinedAt` are already queuing in `sub`; history fills in everything up to it.
    await this.replayUntil(sub.joinedAt);
    while (!this.stream.aborted && !sub.closed) {
      const entries = await sub.next(this.deps.sse.heartbeatMs);
      // Overflow or a backend fault ends the stream with a retry hint; a client that left ends it quietly.
      if (sub.failure || sub.closed || this.stream.aborted) return;
      if (entries.length === 0) {
        await this.stream.write(': heartbeat\n\n');
        continue;
      }
      for (const entry of entries) await this.send(entry);
    }
  }

  private async announceGap(): Promise<void> {
    if (this.cursor === '0-0') return;
    const trimmed = await this.deps.store.trimmedUpTo(this.tenant);
    if (trimmed === null || compareStreamIds(this.cursor, trimmed) >= 0) return;
    const first = await this.deps.store.firstId(this.tenant);
    const gap: GapEvent = {
      cursor: this.cursor,
      first_available_id: first,
      message: `reports after ${this.cursor} up to ${trimmed} were trimmed by the retention limit and cannot be replayed`,
    };
    await this.stream.writeSSE({ event: 'gap', data: JSON.stringify(gap) });
  }

  private async replayUntil(until: string): Promise<void> {
    let after = this.cursor;
    while (compareStreamIds(after, until) < 0 && !this.stream.aborted) {
      const page = await this.deps.store.range(this.tenant, after, until, HISTORY_PAGE);
      if (page.length === 0) return;
      for (const row of page) await this.send(toFeedEntry(row.id, row.data));
      after = page[page.length - 1]?.id ?? until;
    }
  }

  private async send(entry: FeedEntry): Promise<void> {
    if (compareStreamIds(entry.id, this.lastSent) <= 0) return;
    this.lastSent = entry.id;
    if (this.filter !== undefined && entry.correlationId !== this.filter) return;
    await this.stream.writeSSE({ event: 'report', id: entry.id, data: entry.data });
  }
}
