import type { Redis } from 'ioredis';
import type { Tenant } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import { entryOf, type ReportStore } from '../../infra/store/report-store.js';
import { FanOutSweep, SWEEP_DEFAULTS, type SweepOptions } from './fan-out-sweep.js';
import { FeedBatch, toFeedEntry } from './feed-entry.js';
import { FeedSubscription } from './feed-subscription.js';

/** What a feed tells about each batch it hands out (metrics and trace spans); called around the fan-out. */
export interface FanOutObserver {
  /** Called before `batch` goes to `clients` subscribers; the returned function is called once it has. */
  fanOut(tenant: Tenant, batch: FeedBatch, clients: number): () => void;
}

export interface FeedHubOptions {
  store: ReportStore;
  /** A connection of its own per tenant feed: XREAD BLOCK holds it. */
  openReader: () => Redis;
  /** Entries a client may fall behind before it is dropped (`NEXUS_SSE_CLIENT_BUFFER`). */
  capacity: number;
  heartbeatMs: number;
  logger: Logger;
  observer?: FanOutObserver;
  /** How the fan-out shares the event loop; tests slow it down to catch a read mid-pass. */
  sweep?: SweepOptions;
}

const READ_BLOCK_MS = 5_000;
/** Heartbeat checks per heartbeat interval: a quiet client hears one at most a quarter interval late. */
const HEARTBEAT_TICKS = 4;
const NO_OBSERVER: FanOutObserver = { fanOut: () => () => undefined };

/**
 * One blocking XREAD loop per tenant stream, shared by every SSE client of that tenant. The loop never waits on a
 * client: each batch it reads is offered to every subscription (by the sweep, a slice of clients at a time, while
 * the next read is already under way), which writes it to its socket at once or queues it (bounded) while that
 * client is replaying or its socket is full.
 */
export class TenantFeed {
  private readonly subscribers: FanOutSweep<FeedSubscription>;
  private lastId = '0-0';
  private running = false;
  private reader: Redis | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** One read never hands a client more than half its buffer, so only a client that stopped reading overflows. */
  private readonly readCount: number;

  constructor(
    private readonly tenant: Tenant,
    private readonly options: FeedHubOptions,
    private readonly onEmpty: (feed: TenantFeed) => void,
  ) {
    this.readCount = Math.max(1, Math.min(500, Math.floor(options.capacity / 2)));
    this.subscribers = new FanOutSweep(options.sweep ?? SWEEP_DEFAULTS);
  }

  async subscribe(): Promise<FeedSubscription> {
    if (!this.running) {
      // Where the loop starts is where live delivery starts; history covers everything up to it.
      const start = await this.options.store.lastId(this.tenant);
      if (!this.running) {
        this.lastId = start;
        this.running = true;
        this.reader = this.options.openReader();
        // One timer per tenant, not per client: each tick sends a heartbeat to the clients quiet for long enough.
        const quietMs = this.options.heartbeatMs;
        this.heartbeat = setInterval(() => {
          const now = Date.now();
          for (const sub of this.subscribers.all()) sub.heartbeatIfQuiet(now, quietMs);
        }, Math.max(10, Math.floor(quietMs / HEARTBEAT_TICKS))).unref();
        void this.loop(this.reader);
      }
    }
    const sub = new FeedSubscription(this.lastId, this.options.capacity, (s) => this.unsubscribe(s));
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
    this.subscribers.clear();
    clearInterval(this.heartbeat);
    this.reader?.disconnect();
    this.reader = undefined;
    this.onEmpty(this);
  }

  private async loop(reader: Redis): Promise<void> {
    const key = this.options.store.keys.reports(this.tenant);
    const observer = this.options.observer ?? NO_OBSERVER;
    while (this.running && this.reader === reader) {
      // What a client is handed at once is everything pending for it: kept to one read's worth, so only a client
      // that stopped reading overflows its buffer.
      await this.subscribers.roomFor(this.readCount);
      if (!this.running || this.reader !== reader) return;
      let result: Array<[string, Array<[string, string[]]>]> | null;
      try {
        if (reader.status !== 'ready') await readyWithin(reader, READ_BLOCK_MS);
        const count = this.readCount - this.subscribers.pending;
        result = (await reader.xread('COUNT', count, 'BLOCK', READ_BLOCK_MS, 'STREAMS', key, this.lastId)) as typeof result;
      } catch (err) {
        if (!this.running || this.reader !== reader) return;
        this.options.logger.warn({ err: (err as Error).message, org_id: this.tenant.org_id }, 'report feed read failed');
        // A failing client may close and leave the set; the list is taken first so every one of them is told.
        for (const sub of [...this.subscribers.all()]) sub.fail('backend');
        this.stop();
        return;
      }
      // A read answered after the feed stopped belongs to no one: its clients are gone, a restarted feed reads anew.
      if (!this.running || this.reader !== reader) return;
      for (const [, rows] of result ?? []) {
        if (rows.length === 0) continue;
        const batch = new FeedBatch(rows.map(([id, fields]) => toFeedEntry(entryOf(id, fields))));
        // A client joining from here on replays up to this batch from history and is handed only later ones.
        this.lastId = batch.lastId;
        this.subscribers.append(batch, observer.fanOut(this.tenant, batch, this.subscribers.size));
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

/** Hands out tenant feeds: created on the first client, closed with the last. */
export class FeedHub {
  private readonly feeds = new Map<string, TenantFeed>();

  constructor(private readonly options: FeedHubOptions) {}

  subscribe(tenant: Tenant): Promise<FeedSubscription> {
    const key = this.options.store.keys.reports(tenant);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new TenantFeed(tenant, this.options, (f) => {
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
