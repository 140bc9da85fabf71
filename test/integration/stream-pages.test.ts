import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageEndEvent, type Report } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportStore } from '../../infra/store/report-store.js';
import { SseParser } from '../../ui/src/sse-parser.js';
import { SseRecorder, type SseEvent } from '../support/sse-client.js';
import { syntheticReport } from '../support/synthetic-reports.js';
import { until } from '../support/until.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, testRedis, type RunningNexus } from '../support/nexus-under-test.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

const env = isolatedEnv('pages');
let nexus: RunningNexus;
let redis: Redis;
let store: ReportStore;
/** Trims at 100 entries, like a bridge with NEXUS_STREAM_MAXLEN=100. */
let trimmingStore: ReportStore;
let tenantSeq = 0;
const freshTenant = () => ({ org_id: 'acme', project_id: `p${++tenantSeq}-${Date.now()}` });
type Tenant = ReturnType<typeof freshTenant>;

beforeAll(async () => {
  nexus = await bootNexus(env, testLogger(env).logger);
  redis = await testRedis();
  store = new ReportStore(redis, new RedisKeys(env.NEXUS_REDIS_PREFIX ?? ''), 100_000);
  trimmingStore = new ReportStore(redis, new RedisKeys(env.NEXUS_REDIS_PREFIX ?? ''), 100);
});
afterAll(async () => {
  await nexus?.stop();
  await redis?.quit();
  await cleanupEnv(env);
});

interface Page {
  status: number;
  events: SseEvent[];
  /** How many `retry:` hints the stream sent (a page sends only the opening one). */
  retries: number;
  body: string;
}

/** Reads one page to its end: a page that never ends fails here, after 15 s, saying so. */
async function page(tenant: Tenant, query: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
  const url = new URL('/agent/reports/stream', nexus.baseUrl);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id, ...headers },
    signal: AbortSignal.timeout(15_000),
  });
  const body = await response.text().catch((err: unknown) => {
    throw new Error(`the page ${url.search} did not end within 15 s: ${(err as Error).message}`);
  });
  const events: SseEvent[] = [];
  let retries = 0;
  const parser = new SseParser({ message: (m) => events.push(m), retry: () => { retries += 1; } });
  parser.feed(body);
  return { status: response.status, events, retries, body };
}

const reportIds = (p: Page) => p.events.filter((e) => e.event === 'report').map((e) => e.id ?? '');
const reportsOf = (p: Page) => p.events.filter((e) => e.event === 'report').map((e) => JSON.parse(e.data) as Report);
function endOf(p: Page): PageEndEvent {
  const last = p.events.at(-1);
  expect(last?.event, `the page ends with event: end; got ${p.body.slice(-300)}`).toBe('end');
  return PageEndEvent.parse(JSON.parse(last?.data ?? '{}'));
}

async function fill(tenant: Tenant, correlationId: string, from: number, count: number, target = store): Promise<void> {
  for (let i = from; i < from + count; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, from + count - i) }, (_, j) => target.append(syntheticReport(tenant, correlationId, i + j))));
  }
}

async function storedIds(tenant: Tenant): Promise<string[]> {
  return (await redis.xrange(store.keys.reports(tenant), '-', '+')).map(([id]) => id);
}

describe('bounded pages of GET /agent/reports/stream (?limit=)', () => {
  it('pages backwards through the whole history: each page oldest first, together exactly the stored stream', async () => {
    const tenant = freshTenant();
    await fill(tenant, 'history', 0, 2300);
    const stored = await storedIds(tenant);

    const pages: Page[] = [];
    let before: string | undefined;
    for (;;) {
      const p = await page(tenant, { limit: '1000', ...(before ? { before } : {}) });
      expect(p.status).toBe(200);
      pages.push(p);
      const end = endOf(p);
      expect(end).toMatchObject({ page: 'backward', count: reportIds(p).length, scanned: reportIds(p).length, trimmed_up_to: null });
      if (!end.more) break;
      expect(pages.length, 'a fourth page for 2,300 reports').toBeLessThan(4);
      before = end.oldest_id ?? undefined;
    }
    expect(pages.map((p) => reportIds(p).length)).toEqual([1000, 1000, 300]);
    for (const p of pages) {
      const ids = reportIds(p);
      expect(ids).toEqual(stored.filter((id) => ids.includes(id)));
      // A page closes without inviting a reconnect.
      expect(p.retries).toBe(1);
      expect(p.events.some((e) => e.event === 'live')).toBe(false);
    }
    expect(pages.reverse().flatMap(reportIds)).toEqual(stored);
  });

  it('ends a page where a live stream can take over without losing or repeating a report', async () => {
    const tenant = freshTenant();
    await fill(tenant, 'old', 0, 50);
    const newest = await page(tenant, { limit: '20' });
    const end = endOf(newest);
    const stored = await storedIds(tenant);
    expect(reportIds(newest)).toEqual(stored.slice(-20));
    expect(end).toMatchObject({ count: 20, more: true, newest_id: stored.at(-1), oldest_id: stored.at(-20) });

    await fill(tenant, 'new', 0, 5);
    const live = await SseRecorder.open(nexus.baseUrl, tenant, { cursor: end.newest_id ?? undefined });
    await live.waitFor((rs) => rs.length >= 5, 10_000, 'the five reports appended after the page');
    await fill(tenant, 'newer', 0, 2);
    await live.waitFor((rs) => rs.length >= 7, 10_000, 'two more live reports');
    live.close();
    expect(live.reportEvents.map((e) => e.id)).toEqual((await storedIds(tenant)).slice(50));

    // Forward pages from a cursor: the oldest reports after it, continued with newest_id until nothing is left.
    const forward: string[] = [];
    let cursor = stored[9] ?? '';
    for (let i = 0; i < 10; i += 1) {
      const p = await page(tenant, { limit: '16', cursor });
      const e = endOf(p);
      expect(e.page).toBe('forward');
      forward.push(...reportIds(p));
      if (!e.more) break;
      cursor = e.newest_id ?? '';
    }
    expect(forward).toEqual((await storedIds(tenant)).slice(10));
    // Last-Event-ID is a cursor too, so an EventSource that reconnects after `end` reads forward, not the same page.
    const resumed = await page(tenant, { limit: '3' }, { 'last-event-id': stored[9] ?? '' });
    expect(reportIds(resumed)).toEqual(stored.slice(10, 13));
  });

  it('finds one command deep in history with a filter, reading at most 10,000 entries per request', async () => {
    const tenant = freshTenant();
    const needle = async (seq: number) => store.append(syntheticReport(tenant, 'needle', seq));
    for (const seq of [1, 2, 3]) await needle(seq);
    await fill(tenant, 'hay', 0, 10_500);
    for (const seq of [4, 5]) await needle(seq);
    const first = await page(tenant, { limit: '50', correlation_id: 'needle' });
    const end1 = endOf(first);
    expect(reportsOf(first).map((r) => r.seq)).toEqual([4, 5]);
    expect(end1).toMatchObject({ count: 2, scanned: 10_000, more: true });

    const second = await page(tenant, { limit: '50', correlation_id: 'needle', before: end1.oldest_id ?? '' });
    const end2 = endOf(second);
    expect(reportsOf(second).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(end2).toMatchObject({ count: 3, more: false });
    expect(end2.scanned).toBe(10_505 - 10_000);

    // The limit counts matches, not entries read: it stops at the first two and says there is more.
    const two = await page(tenant, { limit: '2', correlation_id: 'hay' });
    expect(endOf(two)).toMatchObject({ count: 2, scanned: 4, more: true });
  }, 60_000);

  it('says where history was trimmed: the backward end names it, a forward page from a lost cursor starts with a gap', async () => {
    const tenant = freshTenant();
    const lost = (await trimmingStore.append(syntheticReport(tenant, 'old', 0))).id;
    await fill(tenant, 'old', 1, 249, trimmingStore);
    const trimmedUpTo = await trimmingStore.trimmedUpTo(tenant);
    expect(trimmedUpTo).not.toBeNull();

    let before: string | undefined;
    let end: PageEndEvent | undefined;
    for (let i = 0; i < 5 && (end === undefined || end.more); i += 1) {
      end = endOf(await page(tenant, { limit: '1000', ...(before ? { before } : {}) }));
      before = end.oldest_id ?? undefined;
    }
    expect(end).toMatchObject({ more: false, trimmed_up_to: trimmedUpTo, oldest_id: (await storedIds(tenant))[0] });

    const forward = await page(tenant, { limit: '5', cursor: lost });
    expect(forward.events[0]?.event).toBe('gap');
    expect(JSON.parse(forward.events[0]?.data ?? '{}')).toMatchObject({ cursor: lost, first_available_id: (await storedIds(tenant))[0] });
    expect(reportIds(forward)).toEqual((await storedIds(tenant)).slice(0, 5));
  });

  it('pages an empty stream and a real command: the detail of one correlation id, in seq order', async () => {
    const tenant = freshTenant();
    const empty = await page(tenant, { limit: '10' });
    expect(endOf(empty)).toEqual({ page: 'backward', count: 0, scanned: 0, oldest_id: null, newest_id: null, more: false, trimmed_up_to: null });

    const watcher = await SseRecorder.open(nexus.baseUrl, tenant);
    for (const id of ['run-a', 'run-b', 'run-c']) {
      expect((await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { id }, correlation_id: id }, tenant)).status).toBe(202);
    }
    await watcher.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 3, 30_000, 'three completed commands');
    watcher.close();
    const detail = await page(tenant, { limit: '1000', correlation_id: 'run-b' });
    const reports = reportsOf(detail);
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect(reports.every((r) => r.correlation_id === 'run-b')).toBe(true);
    expect(reports.map((r) => r.seq)).toEqual([...reports.map((r) => r.seq)].sort((a, b) => a - b));
  });

  it('gives the inbox every open ask however far back it was asked, and drops each once it is decided', async () => {
    const tenant = freshTenant();
    const watcher = await SseRecorder.open(nexus.baseUrl, tenant);
    for (const id of ['ask-a', 'ask-b', 'ask-c']) {
      const sent = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { id }, correlation_id: id, risk_level: 'RED' }, tenant);
      expect(sent.status).toBe(202);
    }
    await watcher.waitFor((rs) => rs.filter((r) => r.report_type === 'ask_created').length === 3, 30_000, 'three asks');
    // Far more history after them than the page the dashboard loads first.
    await fill(tenant, 'hay', 0, 2000);
    const asked = watcher.reportEvents.filter((e) => e.event === 'report' && (JSON.parse(e.data) as Report).report_type === 'ask_created');

    const open = await page(tenant, { asks: 'open' });
    expect(reportIds(open)).toEqual(asked.map((e) => e.id));
    expect(endOf(open)).toMatchObject({ page: 'open_asks', count: 3, scanned: 3, more: false, oldest_id: asked[0]?.id, newest_id: asked[2]?.id });
    const two = await page(tenant, { asks: 'open', limit: '2' });
    expect(endOf(two)).toMatchObject({ count: 2, more: true });

    // The three workflows run side by side: their asks reach the stream in any order, so each is found by its command.
    const askOf = (id: string) => reportsOf(open).find((r) => r.correlation_id === id);
    for (const [ask, decision] of [[askOf('ask-a'), 'approve'], [askOf('ask-c'), 'deny']] as const) {
      if (ask?.report_type !== 'ask_created') throw new Error('expected an ask');
      const decided = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision, action_digest: ask.payload.action_digest }, tenant);
      expect(decided.status).toBe(202);
    }
    await watcher.waitFor((rs) => rs.filter((r) => r.report_type === 'ask_resolved').length === 2, 30_000, 'two decisions');
    watcher.close();
    const left = reportsOf(await page(tenant, { asks: 'open' }));
    expect(left.map((r) => r.correlation_id)).toEqual(['ask-b']);
    // Another tenant's inbox holds none of them.
    expect(reportIds(await page(freshTenant(), { asks: 'open' }))).toEqual([]);
  });

  it('sends only events the served API document describes: each one, and the JSON of its data', async () => {
    const tenant = freshTenant();
    // Past the trimming store's 100, so a page from an old cursor starts with a gap.
    await fill(tenant, 'doc', 0, 150, trimmingStore);
    const document = (await (await fetch(new URL('/openapi.json', nexus.baseUrl))).json()) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(document, 'openapi');
    const media = 'openapi#/paths/~1agent~1reports~1stream/get/responses/200/content/text~1event-stream';
    const eventSchema = ajv.getSchema(`${media}/schema`);
    const kinds = ((document.paths as Record<string, Record<string, { responses: Record<string, { content: Record<string, { 'x-sse-events': Record<string, { $ref: string }> }> }> }>>)['/agent/reports/stream']?.get?.responses['200']?.content['text/event-stream']?.['x-sse-events']) ?? {};
    const events: SseEvent[] = [
      ...(await page(tenant, { limit: '3' })).events,
      ...(await page(tenant, { limit: '3', cursor: '1-0' })).events,
      ...(await page(tenant, { asks: 'open' })).events,
    ];
    const live = await SseRecorder.open(nexus.baseUrl, tenant);
    await until(async () => live.isLive, 10_000, 'the live stream to catch up');
    live.close();
    events.push(...live.events);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(['report', 'end', 'gap', 'live']));
    for (const event of events) {
      const parsed = { event: event.event, data: event.data, ...(event.id !== undefined ? { id: event.id } : {}) };
      expect(eventSchema?.(parsed), `${JSON.stringify(parsed)}: ${JSON.stringify(eventSchema?.errors)}`).toBe(true);
      const component = kinds[event.event]?.$ref;
      const validate = component ? ajv.getSchema(`openapi${component}`) : undefined;
      expect(validate?.(JSON.parse(event.data)), `${event.event} data: ${JSON.stringify(validate?.errors)}`).toBe(true);
    }
  });

  it('refuses every malformed or contradictory page with a 400 that names the parameter, and still serves streams after', async () => {
    const tenant = freshTenant();
    const bad: Array<[Record<string, string>, Record<string, string>, string]> = [
      [{ limit: '0' }, {}, 'limit'],
      [{ limit: '1001' }, {}, 'limit'],
      [{ limit: '-1' }, {}, 'limit'],
      [{ limit: '2.5' }, {}, 'limit'],
      [{ limit: 'ten' }, {}, 'limit'],
      [{ limit: '0010' }, {}, 'limit'],
      [{ limit: '10', before: 'abc' }, {}, 'before'],
      [{ limit: '10', before: '$' }, {}, 'before'],
      [{ before: '1700000000000-0' }, {}, 'limit'],
      [{ limit: '10', before: '1700000000000-0', cursor: '1600000000000-0' }, {}, 'before'],
      [{ limit: '10', before: '1700000000000-0' }, { 'last-event-id': '1600000000000-0' }, 'before'],
      [{ limit: '10', cursor: 'x' }, {}, 'cursor'],
      [{ asks: 'closed' }, {}, 'asks'],
      [{ asks: 'open', cursor: '1600000000000-0' }, {}, 'asks'],
      [{ asks: 'open', before: '1600000000000-0' }, {}, 'asks'],
      [{ asks: 'open', correlation_id: 'x' }, {}, 'asks'],
      [{ asks: 'open' }, { 'last-event-id': '1600000000000-0' }, 'asks'],
      [{ asks: 'open', limit: '0' }, {}, 'limit'],
    ];
    for (const [query, headers, path] of bad) {
      const p = await page(tenant, query, headers);
      expect(p.status, JSON.stringify(query)).toBe(400);
      const body = JSON.parse(p.body) as { error: { code: string; message: string; issues?: Array<{ path: string }> } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.issues?.[0]?.path, JSON.stringify(query)).toBe(path);
    }
    // None of the 400s kept one of the token's stream slots (NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL).
    const ok = await Promise.all(Array.from({ length: 5 }, () => page(tenant, { limit: '1' })));
    expect(ok.map((p) => p.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
