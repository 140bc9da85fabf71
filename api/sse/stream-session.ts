import type { SSEStreamingApi } from 'hono/streaming';
import type { LiveEvent, Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { ApiDeps } from '../api-deps.js';
import { NexusMetrics } from '../../infra/metrics/nexus-metrics.js';
import { CORRELATION_ATTRIBUTE, inSpan, SpanKind, traceContextOf } from '../../infra/tracing/trace-context.js';
import { announceGap } from './gap-check.js';
import { toFeedEntry, type FeedEntry, type FeedSubscription } from './report-feed.js';

const HISTORY_PAGE = 500;

/** One client's stream: the history it missed, then live entries, each id sent at most once and in order. */
export class StreamSession {
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
    await announceGap(this.stream, this.deps, this.tenant, this.cursor);
    // Live entries after `joinedAt` are already queuing in `sub`; history fills in everything up to it.
    await this.replayUntil(sub);
    if (this.stream.aborted || sub.closed || sub.failure) return;
    // Only now is the client up to date: a page that said "live" on the 200 would claim it while Redis is down.
    const live: LiveEvent = { last_id: this.lastSent === '0-0' ? null : this.lastSent };
    await this.stream.writeSSE({ event: 'live', data: JSON.stringify(live) });
    while (!this.stream.aborted && !sub.closed) {
      const entries = await sub.next(this.deps.sse.heartbeatMs);
      // Overflow or a backend fault ends the stream with a retry hint; a client that left ends it quietly.
      if (sub.failure || sub.closed || this.stream.aborted) return;
      if (entries.length === 0) {
        await this.stream.write(': heartbeat\n\n');
        continue;
      }
      for (const entry of entries) await this.send(entry, 'live');
    }
  }

  private async replayUntil(sub: FeedSubscription): Promise<void> {
    const until = sub.joinedAt;
    let after = this.cursor;
    // A closed subscription (the token was revoked) stops a long replay too, not only the live loop.
    while (compareStreamIds(after, until) < 0 && !this.stream.aborted && !sub.closed) {
      const page = await this.deps.store.range(this.tenant, after, until, HISTORY_PAGE);
      if (page.length === 0) return;
      for (const row of page) await this.send(toFeedEntry(row), 'replay');
      after = page[page.length - 1]?.id ?? until;
    }
  }

  private async send(entry: FeedEntry, phase: 'replay' | 'live'): Promise<void> {
    if (compareStreamIds(entry.id, this.lastSent) <= 0) return;
    this.lastSent = entry.id;
    if (this.filter !== undefined && entry.correlationId !== this.filter) return;
    // The live write is the last hop of its command's trace; a replay is a later reader's business, not the command's.
    if (phase === 'live' && entry.trace !== undefined) await this.tracedWrite(entry, entry.trace);
    else await this.stream.writeSSE({ event: 'report', id: entry.id, data: entry.data });
    this.deps.metrics.sseReports.inc({ phase });
    // A replayed report is old by design; only live ones say how long NEXUS took to relay.
    if (phase === 'live' && entry.ts !== undefined) this.deps.metrics.deliveryLag.observe(NexusMetrics.secondsSince(entry.ts));
  }

  private tracedWrite(entry: FeedEntry, traceparent: string): Promise<void> {
    return inSpan(`sse ${entry.reportType ?? 'report'}`, {
      kind: SpanKind.PRODUCER,
      parent: traceContextOf({ traceparent }),
      attributes: {
        ...(entry.correlationId !== undefined ? { [CORRELATION_ATTRIBUTE]: entry.correlationId } : {}),
        'nexus.stream_id': entry.id,
        'nexus.org_id': this.tenant.org_id,
        'nexus.project_id': this.tenant.project_id,
      },
    }, () => this.stream.writeSSE({ event: 'report', id: entry.id, data: entry.data }));
  }
}
