import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareStreamIds } from '../../contracts/stream-id.js';
import { createLogger } from '../../infra/logger.js';
import { deleteKeysUnder } from '../../infra/store/delete-prefix.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportStore } from '../../infra/store/report-store.js';
import { REDIS_URL } from '../../test/support/nexus-under-test.js';
import { until } from '../../test/support/until.js';
import type { SweepOptions } from './fan-out-sweep.js';
import type { FeedBatch } from './feed-entry.js';
import type { FeedSubscription, LiveSink } from './feed-subscription.js';
import { FeedHub, type FanOutObserver } from './report-feed.js';

// The tenant feed on a real Redis under this file's own prefix, its fan-out made to pause after every client so that
// reads land in the middle of passes: what the clients get must still be every entry, once, in order.
const prefix = `test:feed-${randomUUID().slice(0, 8)}:`;
const tenant = { org_id: 'acme', project_id: 'feed-test' };
const CAPACITY = 40;

let redis: Redis;
let store: ReportStore;
const readers: Redis[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  store = new ReportStore(redis, new RedisKeys(prefix), 10_000);
});

afterAll(async () => {
  for (const r of readers) r.disconnect();
  await deleteKeysUnder(REDIS_URL, prefix);
  await redis.quit();
});

/** A client socket that always takes what it is written, recording each write. */
class RecordingSink implements LiveSink {
  readonly writes: string[][] = [];

  write(batch: FeedBatch): 'written' | 'full' | 'nothing' {
    this.writes.push(batch.entries.map((e) => e.id));
    return 'written';
  }

  heartbeat(): boolean {
    return true;
  }

  onDrain(): void {
    // Never full.
  }
}

/** `until` for a condition that needs no I/O to check. */
function waitFor(what: string, condition: () => boolean): Promise<void> {
  return until(() => Promise.resolve(condition()), 10_000, what);
}

/** The feed's reads, as its observer is told of them. */
class ReadLog implements FanOutObserver {
  readonly reads: string[][] = [];

  fanOut(_tenant: unknown, batch: FeedBatch): () => void {
    this.reads.push(batch.entries.map((e) => e.id));
    return () => undefined;
  }

  has(id: string): boolean {
    return this.reads.some((r) => r.includes(id));
  }
}

function feedHub(sweep: SweepOptions, observer: FanOutObserver): FeedHub {
  return new FeedHub({
    store,
    openReader: () => {
      const r = redis.duplicate();
      readers.push(r);
      return r;
    },
    capacity: CAPACITY,
    heartbeatMs: 60_000,
    logger: createLogger('silent'),
    observer,
    sweep,
  });
}

async function liveClients(hub: FeedHub, n: number) {
  const sinks: RecordingSink[] = [];
  const subs: FeedSubscription[] = [];
  for (let i = 0; i < n; i += 1) {
    const sub = await hub.subscribe(tenant);
    const sink = new RecordingSink();
    void sub.goLive(sink);
    subs.push(sub);
    sinks.push(sink);
  }
  return { sinks, close: () => subs.forEach((s) => s.close()) };
}

describe('TenantFeed fan-out', () => {
  it('reads on while a pass is under way: a report read mid-pass goes out with the one the pass is handing out', async () => {
    const key = store.keys.reports(tenant);
    const log = new ReadLog();
    let second: string | undefined;
    const hub = feedHub({
      sliceMs: 0,
      checkEvery: 1,
      // At the first pause (one client met), a report is added and the pass waits until the feed has read it.
      pause: async () => {
        if (second !== undefined) return;
        second = await redis.xadd(key, '*', 'report', JSON.stringify({ n: 2 })) ?? undefined;
        await waitFor('the feed to read the report added mid-pass', () => second !== undefined && log.has(second));
      },
    }, log);
    const { sinks, close } = await liveClients(hub, 4);
    const first = await redis.xadd(key, '*', 'report', JSON.stringify({ n: 1 }));
    await waitFor('both reports at every client', () => sinks.every((s) => s.writes.flat().length === 2));
    expect(log.reads).toEqual([[first], [second]]);
    expect(sinks.map((s) => s.writes)).toEqual([[[first], [second]], [[first, second]], [[first, second]], [[first, second]]]);
    close();
    expect(hub.feedCount).toBe(0);
  });

  it('hands every client every entry once and in order while reads land mid-pass, never more than one read at once', async () => {
    const hub = feedHub({ sliceMs: 0, checkEvery: 1, pause: () => new Promise((resolve) => setImmediate(resolve)) }, new ReadLog());
    const key = store.keys.reports(tenant);
    const { sinks, close } = await liveClients(hub, 30);
    expect(hub.feedCount).toBe(1);

    const added: string[] = [];
    for (let round = 0; round < 15; round += 1) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 20; i += 1) pipeline.xadd(key, '*', 'report', JSON.stringify({ n: round * 20 + i }));
      for (const [err, id] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        added.push(id as string);
      }
      // Let the next burst arrive while this one is still being handed out.
      await new Promise((resolve) => setImmediate(resolve));
    }

    await waitFor(`all ${added.length} entries at all ${sinks.length} clients`, () => sinks.every((s) => s.writes.flat().length >= added.length));
    for (const sink of sinks) {
      expect(sink.writes.flat()).toEqual(added);
      // What was due was handed over merged, but never more than half the client's buffer at once.
      expect(Math.max(...sink.writes.map((w) => w.length))).toBeLessThanOrEqual(CAPACITY / 2);
    }
    close();
    expect(hub.feedCount).toBe(0);
    expect([...added].sort(compareStreamIds)).toEqual(added);
  });
});
