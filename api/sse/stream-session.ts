import type { Counter } from 'prom-client';
import type { LiveEvent, Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { ApiDeps } from '../api-deps.js';
import { FeedBatch, toFeedEntry, type FeedEntry } from './feed-entry.js';
import type { FeedSubscription, LiveSink } from './feed-subscription.js';
import { announceGap } from './gap-check.js';
import { chunkOf } from './http-chunk.js';
import type { SharedBytes, SseSocket } from './sse-socket.js';

const HISTORY_PAGE = 500;
/** The heartbeat comment, framed once for every client and beat. */
const HEARTBEAT: SharedBytes = { frames: Buffer.from(': heartbeat\n\n'), chunked: chunkOf(': heartbeat\n\n') };

/**
 * One client's stream: the history it missed, then live entries, each id sent at most once and in order. Once
 * live, the session is the sink its subscription writes into, synchronously, as the tenant's feed reads.
 */
export class StreamSession implements LiveSink {
  private lastSent: string;
  private readonly liveCount: Counter.Internal;

  constructor(
    private readonly out: SseSocket,
    private readonly tenant: Tenant,
    private readonly cursor: string,
    private readonly filter: string | undefined,
    private readonly deps: ApiDeps,
  ) {
    this.lastSent = cursor;
    this.liveCount = deps.metrics.sseReports.labels({ phase: 'live' });
  }

  async run(sub: FeedSubscription): Promise<void> {
    await announceGap(this.out, this.deps, this.tenant, this.cursor);
    // Live entries after `joinedAt` are already queuing in `sub`; history fills in everything up to it.
    await this.replayUntil(sub);
    if (this.out.aborted || sub.closed || sub.failure) return;
    // Only now is the client up to date: a page that said "live" on the 200 would claim it while Redis is down.
    const live: LiveEvent = { last_id: this.lastSent === '0-0' ? null : this.lastSent };
    await this.out.writeSSE({ event: 'live', data: JSON.stringify(live) });
    // Overflow or a backend fault ends the stream with a retry hint; a client that left ends it quietly.
    await sub.goLive(this);
  }

  write(batch: FeedBatch): 'written' | 'full' | 'nothing' {
    const entries = batch.entries;
    const first = entries[0];
    if (first === undefined) return 'nothing';
    // The common case, an unfiltered client up to date, writes the batch's shared buffer as it is.
    const all = this.filter === undefined && compareStreamIds(first.id, this.lastSent) > 0;
    const wanted = all ? entries : entries.filter((e) => this.wants(e));
    this.lastSent = batch.lastId;
    if (wanted.length === 0) return 'nothing';
    this.liveCount.inc(wanted.length);
    return this.out.writeShared(wanted.length === entries.length ? batch : new FeedBatch(wanted)) ? 'written' : 'full';
  }

  heartbeat(): boolean {
    return this.out.writeShared(HEARTBEAT);
  }

  onDrain(resume: () => void): void {
    this.out.onDrain(resume);
  }

  private wants(entry: FeedEntry): boolean {
    return compareStreamIds(entry.id, this.lastSent) > 0 && (this.filter === undefined || entry.correlationId === this.filter);
  }

  private async replayUntil(sub: FeedSubscription): Promise<void> {
    const until = sub.joinedAt;
    let after = this.cursor;
    // A closed subscription (the token was revoked) stops a long replay too, not only the live loop.
    while (compareStreamIds(after, until) < 0 && !this.out.aborted && !sub.closed) {
      const page = await this.deps.store.range(this.tenant, after, until, HISTORY_PAGE);
      if (page.length === 0) return;
      const wanted = page.map(toFeedEntry).filter((e) => this.wants(e));
      after = page[page.length - 1]?.id ?? until;
      this.lastSent = after;
      if (wanted.length === 0) continue;
      await this.out.write(new FeedBatch(wanted).frames);
      this.deps.metrics.sseReports.inc({ phase: 'replay' }, wanted.length);
    }
  }
}
