import type { Redis } from 'ioredis';
import type { Tenant } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import { entryOf, type ReportStore, type StreamEntry } from '../../infra/store/report-store.js';

export interface FeedEntry extends StreamEntry {
  correlationId: string | undefined;
  /** The workflow's stamp on the report, for the delivery-lag metric. */
  ts: string | undefined;
  reportType?: string | undefined;
}

/** One SSE client's view of a feed: a bounded queue the feed pushes into and the client drains. */
export class FeedSubscription {
  private readonly queue: FeedEntry[] = [];
  private wake: (() => void) | undefined;
  /** Set when the client fell too far behind or the feed failed; the client then closes with a retry hint. */
  failure: 'overflow' | 'backend' | undefined;
  closed = false;

  constructor(
    /** Entries with ids greater than this arrive live; everything up to it must come from history. */
    readonly joinedAt: string,
    private readonly capacity: number,
    private readonly onClose: (sub: FeedSubscription) => void,
  ) {}

  push(entry: FeedEntry): void {
    if (this.closed || this.failure) return;
    if (this.queue.length >= this.capacity) {
      this.fail('overflow');
      return;
    }
    this.queue.push(entry);
    this.notify();
  }

  /** Called once when the subscription fails, so a client blocked in a write (not reading) can be cut off. */
  onFailure: ((reason: 'overflow' | 'backend') => void) | undefined;

  fail(reason: 'overflow' | 'backend'): void {
    const first = this.failure === undefined;
    this.failure ??= reason;
    this.queue.length = 0;
    this.notify();
    if (first) this.onFailure?.(reason);
  }

  /** Waits up to `timeoutMs` for entries; an empty array means the time ran out (send a heartbeat). */
  async next(timeoutMs: number): Promise<FeedEntry[]> {
    if (this.queue.length === 0 && !this.failure && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
    return this.queue.splice(0, this.queue.length);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.notify();
    this.onClose(this);
  }

  private notify(): void {
    this.wake?.();
  }
}

const READ_BLOCK_MS = 5_000;

/**
 * One blocking XREAD loop per tenant stream, shared by every SSE client of that tenant. The loop never waits on a
 * client: it pushes into each subscription's bounded queue, so a slow client only hurts itself.
 */
export class TenantFeed {
  private readonly subscribers = new Set<FeedSubscription>();
  private lastId = '0-0';
  private running = false;
  private reader: Redis | undefined;

  constructor(
    private readonly tenant: Tenant,
    private readonly store: ReportStore,
    private readonly openReader: () => Redis,
    private readonly capacity: number,
    private readonly logger: Logger,
    private readonly onEmpty: (feed: TenantFeed) => void,
  ) {
    // One read never hands a client more than half its buffer, so only a client that stopped reading overflows.
    this.readCount = Math.max(1, Math.min(500, Math.floor(capacity / 2)));
  }

  private readonly readCount: number;

  async subscribe(): Promise<FeedSubscription> {
    if (!this.running) {
      // Where the loop starts is where live delivery starts; history covers everything up to it.
      const start = await this.store.lastId(this.tenant);
      if (!this.running) {
        this.lastId = start;
        this.running = true;
        this.reader = this.openReader();
        void this.loop(this.reader);
      }
    }
    const sub = new FeedSubscription(this.lastId, this.capacity, (s) => this.unsubscribe(s));
    this.subscribers.add(sub);
    return sub;
  }

  get size(): number {
    return this.subscribers.size;
  }

  private unsubscribe(sub: FeedSubscription): void {
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0) this.stop();
  }

  private stop(): void {
    this.running = false;
    this.reader?.disconnect();
    this.reader = undefined;
    this.onEmpty(this);
  }

  private async loop(reader: Redis): Promise<void> {
    const key = this.store.keys.reports(this.tenant);
    while (this.running && this.reader === reader) {
      let result: Array<[string, Array<[string, string[]]>]> | null;
      try {
        if (reader.status !== 'ready') await readyWithin(reader, READ_BLOCK_MS);
        result = (await reader.xread('COUNT', this.readCount, 'BLOCK', READ_BLOCK_MS, 'STREAMS', key, this.lastId)) as typeof result;
      } catch (err) {
        if (!this.running || this.reader !== reader) return;
        this.logger.warn({ err: (err as Error).message, org_id: this.tenant.org_id }, 'report feed read failed');
        for (const sub of this.subscribers) sub.fail('backend');
        this.subscribers.clear();
        this.stop();
        return;
      }
      for (const [, entries] of result ?? []) {
        for (const [id, fields] of entries) {
          const entry = toFeedEntry(entryOf(id, fields));
          for (const sub of this.subscribers) sub.push(entry);
          this.lastId = id;
        }
      }
    }
  }
}

function readyWithin(reader: Redis, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis not ready')), ms);
    reader.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function toFeedEntry(row: StreamEntry): FeedEntry {
  try {
    const { correlation_id: correlationId, ts, report_type: reportType } = JSON.parse(row.data) as { correlation_id?: string; ts?: string; report_type?: string };
    return { ...row, correlationId, ts, reportType };
  } catch {
    return { ...row, correlationId: undefined, ts: undefined };
  }
}

/** Hands out tenant feeds: created on the first client, closed with the last. */
export class FeedHub {
  private readonly feeds = new Map<string, TenantFeed>();

  constructor(
    private readonly store: ReportStore,
    private readonly openReader: () => Redis,
    private readonly capacity: number,
    private readonly logger: Logger,
  ) {}

  subscribe(tenant: Tenant): Promise<FeedSubscription> {
    const key = this.store.keys.reports(tenant);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new TenantFeed(tenant, this.store, this.openReader, this.capacity, this.logger, (f) => {
        if (this.feeds.get(key) === f) this.feeds.delete(key);
      });
      this.feeds.set(key, feed);
    }
    return feed.subscribe();
  }

  /** Number of live tenant read loops; tests use it to prove clients share one. */
  get feedCount(): number {
    return this.feeds.size;
  }
}
