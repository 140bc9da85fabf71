import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contracts/index.js';
import { PrivateRedis } from '../support/private-redis.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'redis-restart' };
const redis = await PrivateRedis.start();
const env = isolatedEnv('redis-restart', { REDIS_URL: redis.url });
let nexus: RunningNexus;

beforeAll(async () => {
  nexus = await bootNexus(env, testLogger(env).logger);
});
afterAll(async () => {
  await nexus?.stop();
  await cleanupEnv({ ...env, NEXUS_REDIS_PREFIX: '__none__' });
  await redis.remove();
});

describe('a Redis restart', () => {
  it('ends open streams with a retry hint, and a client resuming from its last id sees every report once', async () => {
    const send = (i: number) => post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { i }, correlation_id: `rr-${i}` }, tenant);
    const first = await SseRecorder.open(nexus.baseUrl, tenant);
    for (let i = 0; i < 5; i++) expect((await send(i)).status).toBe(202);
    await first.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 5);

    await redis.kill();
    await first.waitForEnd();
    expect(first.retry).toBe(500);
    // It was live, and it says why it ended, so a dashboard can show the outage instead of a stale "live".
    expect(first.events[0]?.event).toBe('live');
    expect(first.events.at(-1)?.event).toBe('error');
    expect(JSON.parse(first.events.at(-1)?.data ?? '{}')).toMatchObject({ error: { code: 'backend_unavailable' } });
    // Commands are still accepted while Redis is down (no command_id, so no ledger write): reports wait in RabbitMQ.
    for (let i = 5; i < 10; i++) expect((await send(i)).status).toBe(202);
    // A stream opened during the outage never says live: it ends at once with the cause and a retry hint.
    const during = await SseRecorder.open(nexus.baseUrl, tenant);
    expect(during.status).toBe(200);
    await during.waitForEnd(15_000);
    expect(during.isLive).toBe(false);
    expect(during.events.map((e) => e.event)).toEqual(['error']);
    expect(during.retry).toBe(500);
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();

    let resumed: SseRecorder | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      resumed = await SseRecorder.open(nexus.baseUrl, tenant, { lastEventId: first.lastId });
      try {
        await resumed.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 5, 2_000);
        break;
      } catch {
        resumed.close();
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    resumed?.close();
    const all: Report[] = [...first.reports, ...(resumed?.reports ?? [])];
    expect(all).toHaveLength(30);
    expect(new Set(all.map((r) => r.report_id)).size).toBe(30);
    for (let i = 0; i < 10; i++) {
      expect(all.filter((r) => r.correlation_id === `rr-${i}`).map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    }
  });
});
