import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contracts/index.js';
import { createLogger } from '../../infra/logger.js';
import { deleteKeysUnder } from '../../infra/store/delete-prefix.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportStore } from '../../infra/store/report-store.js';
import { REDIS_URL } from '../../test/support/nexus-under-test.js';
import { syntheticReport } from '../../test/support/synthetic-reports.js';
import { FeedHub } from '../sse/report-feed.js';
import { CommandWatch } from './command-watch.js';

/** A tool call's watch of its command on the real Redis: only its command's reports, in order, each once, through a failed feed. */
const prefix = `test:mcp-watch-${randomUUID().slice(0, 8)}:`;
const tenant = { org_id: 'acme', project_id: 'watch' };
let redis: Redis;
let store: ReportStore;
const readers: Redis[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  store = new ReportStore(redis, new RedisKeys(prefix), 10_000);
});
afterAll(async () => {
  for (const reader of readers) reader.disconnect();
  await deleteKeysUnder(REDIS_URL, prefix);
  await redis.quit();
});

function hub(): FeedHub {
  return new FeedHub({
    store,
    openReader: () => {
      const reader = redis.duplicate();
      readers.push(reader);
      return reader;
    },
    capacity: 100,
    heartbeatMs: 1_000,
    logger: createLogger('silent'),
  });
}

/** The command's reports, and a twin that shares its correlation id but is another workflow. */
const mine = (seq: number) => syntheticReport(tenant, 'shared-corr', seq);
const twin = (seq: number): Report => ({ ...syntheticReport(tenant, 'shared-corr', seq), workflow_id: 'synthetic/twin', report_id: `twin:${seq}` });
const other = (seq: number) => syntheticReport(tenant, 'someone-else', seq);

async function take(watch: CommandWatch, count: number): Promise<number[]> {
  const seqs: number[] = [];
  const signal = new AbortController().signal;
  while (seqs.length < count) {
    const next = await watch.next(signal, 5_000);
    if (next === undefined || next === 'idle') throw new Error(`waited 5 s for report ${seqs.length + 1} of ${count}; had ${seqs.join(',')}`);
    seqs.push(next.seq);
  }
  return seqs;
}

describe('CommandWatch', () => {
  it('hands over only its command, in order and once, and catches up on what a failed feed missed', async () => {
    const feeds = hub();
    const watch = await CommandWatch.open({ feeds, store, logger: createLogger('silent') }, tenant, { workflow_id: mine(1).workflow_id, correlation_id: 'shared-corr' });
    for (const report of [mine(1), twin(1), other(1), mine(2)]) await store.append(report);
    expect(await take(watch, 2)).toEqual([1, 2]);

    // The feed's connection dies: its read fails, and what is stored meanwhile must still reach the watch, once.
    readers.at(-1)!.disconnect();
    await store.append(mine(3));
    await store.append(twin(2));
    expect(await take(watch, 1)).toEqual([3]);
    await store.append(mine(4));
    expect(await take(watch, 1)).toEqual([4]);
    expect(readers.length).toBeGreaterThan(1);

    // Nothing else arrives: a second look finds the stream quiet.
    expect(await watch.next(new AbortController().signal, 200)).toBe('idle');
    watch.close();
    expect(feeds.feedCount).toBe(0);
  });

  it('answers undefined at once when its caller aborts, and lets go of the feed when closed', async () => {
    const feeds = hub();
    const watch = await CommandWatch.open({ feeds, store, logger: createLogger('silent') }, tenant, { workflow_id: 'synthetic/nobody', correlation_id: 'nobody' });
    const abort = new AbortController();
    const waiting = watch.next(abort.signal, 60_000);
    abort.abort();
    expect(await waiting).toBeUndefined();
    expect(feeds.feedCount).toBe(1);
    watch.close();
    expect(feeds.feedCount).toBe(0);
  });
});
