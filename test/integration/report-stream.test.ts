import { connect, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../infra/store/keys.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import { ReportStore } from '../../infra/store/report-store.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { syntheticReport } from '../support/synthetic-reports.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, testRedis, type RunningNexus } from '../support/nexus-under-test.js';

const env = isolatedEnv('stream', { NEXUS_STREAM_MAXLEN: '100', NEXUS_SSE_CLIENT_BUFFER: '100' });
let nexus: RunningNexus;
let redis: Redis;
let store: ReportStore;
/** Trims like the bridge of this install does (NEXUS_STREAM_MAXLEN=100). */
let trimmingStore: ReportStore;
let tenantSeq = 0;
/** Each test gets its own tenant, so its stream starts empty. */
const freshTenant = () => ({ org_id: 'acme', project_id: `s${++tenantSeq}-${Date.now()}` });

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

const sendEcho = (tenant: { org_id: string; project_id: string }, correlationId: string) =>
  post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { correlationId }, correlation_id: correlationId }, tenant);

describe('GET /agent/reports/stream', () => {
  it('resumes with Last-Event-ID with exactly the missed reports, in order, no repeats', async () => {
    const tenant = freshTenant();
    const watcher = await SseRecorder.open(nexus.baseUrl, tenant);
    const first = await SseRecorder.open(nexus.baseUrl, tenant);
    for (let i = 0; i < 3; i++) expect((await sendEcho(tenant, `before-${i}`)).status).toBe(202);
    await first.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 3);
    first.close();
    const lastSeen = first.lastId;
    for (let i = 0; i < 4; i++) expect((await sendEcho(tenant, `during-${i}`)).status).toBe(202);
    await watcher.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 7);

    const resumed = await SseRecorder.open(nexus.baseUrl, tenant, { lastEventId: lastSeen });
    const missed = watcher.reportEvents.filter((e) => compareStreamIds(e.id ?? '0', lastSeen ?? '0') > 0);
    await resumed.waitFor((rs) => rs.length >= missed.length);
    await new Promise((r) => setTimeout(r, 500));
    expect(resumed.reportEvents.map((e) => e.id)).toEqual(missed.map((e) => e.id));
    expect(resumed.reports.every((r) => r.correlation_id.startsWith('during-'))).toBe(true);

    // The same resume through ?cursor= and with the tenant in the query, as an EventSource does it.
    const viaQuery = await SseRecorder.open(nexus.baseUrl, tenant, { cursor: lastSeen, tenantInQuery: true });
    await viaQuery.waitFor((rs) => rs.length >= missed.length);
    expect(viaQuery.reportEvents.map((e) => e.id)).toEqual(missed.map((e) => e.id));
    for (const s of [watcher, resumed, viaQuery]) s.close();
  });

  it('delivers reports that arrive while it is replaying history, each exactly once and in order', async () => {
    const tenant = freshTenant();
    const history = 3000;
    for (let i = 0; i < history; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => store.append(syntheticReport(tenant, 'history', i + j))));
    }
    const live = 400;
    const client = await SseRecorder.open(nexus.baseUrl, tenant);
    // Appends race the replay of the 3000 older entries.
    for (let i = 0; i < live; i++) await store.append(syntheticReport(tenant, 'live', i));
    const reports = await client.waitFor((rs) => rs.length >= history + live, 30_000, 'all reports');
    await new Promise((r) => setTimeout(r, 300));
    client.close();
    expect(client.reports).toHaveLength(history + live);
    const ids = client.reportEvents.map((e) => e.id ?? '');
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await redis.xrange(store.keys.reports(tenant), '-', '+');
    expect(ids).toEqual(stored.map(([id]) => id));
    expect(reports.filter((r) => r.correlation_id === 'live').map((r) => r.seq)).toEqual(Array.from({ length: live }, (_, i) => i));
  });

  it('sends an explicit gap event when the cursor is older than the retained history', async () => {
    const tenant = freshTenant();
    const firstId = (await trimmingStore.append(syntheticReport(tenant, 'old', 0))).id;
    for (let i = 1; i < 300; i++) await trimmingStore.append(syntheticReport(tenant, 'old', i));
    const client = await SseRecorder.open(nexus.baseUrl, tenant, { lastEventId: firstId });
    await client.waitFor((rs) => rs.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    client.close();
    expect(client.events[0]?.event).toBe('gap');
    const gap = JSON.parse(client.events[0]?.data ?? '{}');
    expect(gap).toMatchObject({ cursor: firstId, first_available_id: client.events[1]?.id });
    const retained = await redis.xlen(store.keys.reports(tenant));
    expect(client.reports).toHaveLength(retained);
    expect(retained).toBeLessThanOrEqual(101);

    // A cursor inside the retained window has lost nothing: no gap.
    const recent = await SseRecorder.open(nexus.baseUrl, tenant, { lastEventId: client.events[1]?.id });
    await recent.waitFor((rs) => rs.length === retained - 1);
    recent.close();
    expect(recent.events.some((e) => e.event === 'gap')).toBe(false);
  });

  it('says `live` only once the history it replays has been sent, naming the last id passed', async () => {
    const empty = await SseRecorder.open(nexus.baseUrl, freshTenant());
    await until(async () => empty.isLive, 10_000, 'the live event of an empty stream');
    empty.close();
    expect(empty.events.map((e) => [e.event, e.data])).toEqual([['live', JSON.stringify({ last_id: null })]]);

    const tenant = freshTenant();
    for (let i = 0; i < 700; i++) await store.append(syntheticReport(tenant, 'history', i));
    const stored = (await redis.xrange(store.keys.reports(tenant), '-', '+')).map(([id]) => id);
    const client = await SseRecorder.open(nexus.baseUrl, tenant);
    await until(async () => client.isLive, 20_000, 'the live event after 700 reports of history');
    const liveAt = client.events.findIndex((e) => e.event === 'live');
    // Every report of history (more than one page of the replay) comes before it, and it names the last of them.
    expect(client.events.slice(0, liveAt).map((e) => e.id)).toEqual(stored);
    expect(JSON.parse(client.events[liveAt]?.data ?? '{}')).toEqual({ last_id: stored.at(-1) });
    await store.append(syntheticReport(tenant, 'after', 0));
    await client.waitFor((rs) => rs.some((r) => r.correlation_id === 'after'), 10_000, 'the report after live');
    client.close();
    expect(client.events.at(-1)?.event).toBe('report');
    expect(client.events.filter((e) => e.event === 'live')).toHaveLength(1);
  });

  it('refuses malformed cursors and bad tenants with 400 instead of replaying everything', async () => {
    const tenant = freshTenant();
    for (const cursor of ['-1', '$', 'abc', '1-2-3', '+']) {
      const byQuery = await SseRecorder.open(nexus.baseUrl, tenant, { cursor });
      expect(byQuery.status, cursor).toBe(400);
      const byHeader = await SseRecorder.open(nexus.baseUrl, tenant, { lastEventId: cursor });
      expect(byHeader.status, cursor).toBe(400);
    }
    const badTenant = await SseRecorder.open(nexus.baseUrl, { org_id: 'Bad Org', project_id: 'x' });
    expect(badTenant.status).toBe(400);
    const res = await fetch(new URL('/agent/reports/stream?org_id=acme', nexus.baseUrl));
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_tenant');
  });

  it('filters by correlation_id, sends heartbeats and a retry hint', async () => {
    const tenant = freshTenant();
    const filtered = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: 'wanted' });
    await sendEcho(tenant, 'unwanted');
    await sendEcho(tenant, 'wanted');
    await filtered.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'));
    // The stream is quiet for this client from here on (nothing else is sent to its tenant): a heartbeat must come.
    await until(async () => filtered.comments.includes('heartbeat'), 10_000, 'a heartbeat comment on a quiet stream');
    filtered.close();
    expect(new Set(filtered.reports.map((r) => r.correlation_id))).toEqual(new Set(['wanted']));
    expect(filtered.comments).toContain('heartbeat');
    expect(filtered.retry).toBe(500);
  });

  it('shares one Redis read loop among the clients of a tenant', async () => {
    const tenant = freshTenant();
    const clients = await Promise.all(Array.from({ length: 5 }, () => SseRecorder.open(nexus.baseUrl, tenant)));
    const before = nexus.runtime.api?.feeds.feedCount ?? -1;
    await sendEcho(tenant, 'shared');
    await Promise.all(clients.map((c) => c.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'))));
    expect(before).toBeGreaterThanOrEqual(1);
    const other = await SseRecorder.open(nexus.baseUrl, freshTenant());
    expect(nexus.runtime.api?.feeds.feedCount).toBe(before + 1);
    for (const c of [...clients, other]) c.close();
  });

  it('drops a client that stops reading without stalling the others', async () => {
    const tenant = freshTenant();
    const healthy = await SseRecorder.open(nexus.baseUrl, tenant);
    const slow = await openStalledSocket(nexus.baseUrl, tenant);
    const total = 1000;
    // Paced so the healthy client is never more than a batch (50) behind its buffer of 100, however loaded the
    // machine: it must keep receiving while the stalled one sits on its backlog, never be cut off itself.
    for (let i = 0; i < total; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => store.append(syntheticReport(tenant, 'flood', i + j, 20_000))));
      await healthy.waitFor((rs) => rs.length === i + 50, 30_000, `healthy client to get reports up to ${i + 50}`);
    }
    healthy.close();
    const received = await drain(slow);
    expect(received.closedByServer).toBe(true);
    expect(received.events).toBeLessThan(total);
  });

  it('streams to an HTTP/1.0 client and to a stream pipelined behind a page, whose frames it cannot share', async () => {
    // The shared, pre-framed chunk goes only to a chunked response that owns its socket: HTTP/1.0 has no chunks, and
    // a pipelined response has no socket until the one before it ends. Both must still get every frame intact.
    const tenant = freshTenant();
    await store.append(syntheticReport(tenant, 'before', 0));
    const url = new URL(nexus.baseUrl);
    const get = (path: string, version: string) =>
      `GET ${path} HTTP/${version}\r\nHost: ${url.host}\r\nx-org-id: ${tenant.org_id}\r\nx-project-id: ${tenant.project_id}\r\n\r\n`;
    const old = await RawHttp.open(url, get('/agent/reports/stream', '1.0'));
    const piped = await RawHttp.open(url, get('/agent/reports/stream?limit=5', '1.1') + get('/agent/reports/stream', '1.1'));
    const bothLive = () => old.text.includes('event: live') && piped.text.includes('event: live');
    await until(async () => bothLive(), 10_000, 'both raw streams to say live');
    await store.append(syntheticReport(tenant, 'after', 1));
    await until(async () => old.text.includes('"after"') && piped.text.includes('"after"'), 10_000, 'the live report on both raw streams');
    old.close();
    piped.close();

    const [oldHead, oldBody] = headAndBody(old.text);
    expect(oldHead).toMatch(/^HTTP\/1\.1 200/);
    expect(oldHead.toLowerCase()).not.toContain('transfer-encoding');
    // No chunk framing in the body: it is the events themselves, from the first byte.
    expect(oldBody.startsWith('retry: 500\n\n')).toBe(true);
    expect(oldBody).not.toContain('\r\n');
    expect(reportIds(oldBody)).toHaveLength(2);

    const [pageHead, rest] = headAndBody(piped.text);
    expect(pageHead).toMatch(/^HTTP\/1\.1 200/);
    const page = dechunk(rest);
    expect(page.body).toContain('event: end');
    expect(reportIds(page.body)).toHaveLength(1);
    const [streamHead, streamBody] = headAndBody(page.after);
    expect(streamHead).toMatch(/^HTTP\/1\.1 200/);
    const stream = dechunk(streamBody);
    // Every report frame whole: event, data, id, blank line.
    expect(reportIds(stream.body)).toEqual(reportIds(oldBody));
    expect(stream.body).toMatch(/event: report\ndata: \{[^\n]*"after"[^\n]*\}\nid: \d+-\d+\n\n/);
  });
});

/** A response's head and everything after it. */
function headAndBody(text: string): [string, string] {
  const end = text.indexOf('\r\n\r\n');
  return end === -1 ? [text, ''] : [text.slice(0, end), text.slice(end + 4)];
}

/** The ids of the whole `event: report` frames in an SSE body. */
function reportIds(body: string): string[] {
  return [...body.matchAll(/event: report\ndata: [^\n]*\nid: (\d+-\d+)\n\n/g)].map((m) => m[1] ?? '');
}

/** A chunked body's bytes up to its last chunk (or as far as it was read), and what followed its terminator. */
function dechunk(text: string): { body: string; after: string } {
  let body = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol === -1) return { body, after: '' };
    const size = Number.parseInt(text.slice(at, eol), 16);
    if (Number.isNaN(size)) throw new Error(`not a chunk size at ${at}: ${JSON.stringify(text.slice(at, at + 20))}`);
    if (size === 0) return { body, after: text.slice(eol + 4) };
    const data = Buffer.from(text.slice(eol + 2), 'utf8').subarray(0, size).toString('utf8');
    if (text.slice(eol + 2 + data.length, eol + 4 + data.length) !== '\r\n') throw new Error(`chunk of ${size} bytes not followed by CRLF`);
    body += data;
    at = eol + 4 + data.length;
  }
}

/** A raw TCP client that sends `request` as it is and keeps everything the server sends. */
class RawHttp {
  text = '';
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.text += chunk;
    });
    socket.on('error', () => undefined);
  }

  static open(url: URL, request: string): Promise<RawHttp> {
    return new Promise((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(request);
        resolve(new RawHttp(socket));
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function openStalledSocket(baseUrl: string, tenant: { org_id: string; project_id: string }): Promise<Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `GET /agent/reports/stream HTTP/1.1\r\nHost: ${url.host}\r\nx-org-id: ${tenant.org_id}\r\nx-project-id: ${tenant.project_id}\r\n\r\n`,
      );
      socket.pause();
      resolve(socket);
    });
  });
}

/** Reads what the stalled socket was sent, counting events, and reports whether the server ended it. */
function drain(socket: Socket): Promise<{ events: number; closedByServer: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    const finish = () => resolve({ events: text.split('event: report').length - 1, closedByServer: closed });
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    setTimeout(() => {
      socket.destroy();
      finish();
    }, 15_000);
    socket.resume();
  });
}
