import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contracts/index.js';
import { connectAmqp } from '../../infra/amqp.js';
import { ReportPublisher } from '../../infra/messaging/report-publisher.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportSeal } from '../../infra/trust/report-seal.js';
import type { Logger } from '../../infra/logger.js';
import { PrivateRedis } from '../support/private-redis.js';
import { SseRecorder } from '../support/sse-client.js';
import { syntheticReport } from '../support/synthetic-reports.js';
import { until } from '../support/until.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'redis-restart' };
const redis = await PrivateRedis.start();
// A deep window, so the flood below has several reports of each command in flight when Redis dies.
const env = isolatedEnv('redis-restart', { REDIS_URL: redis.url, NEXUS_BRIDGE_PREFETCH: '200' });
let nexus: RunningNexus;
let logFile: string;
let logger: Logger;

beforeAll(async () => {
  const test = testLogger(env);
  logFile = test.logFile;
  logger = test.logger;
  nexus = await bootNexus(env, test.logger);
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

  it('while the bridge stores many commands at once loses, repeats and reorders nothing', async () => {
    // The bridge sends different commands' appends back to back; with Redis gone they all fail, and each is retried
    // on its own jittered backoff. Only a command's own reports wait for each other, and that must be enough.
    const flood = { org_id: 'acme', project_id: 'redis-restart-flood' };
    const commands = 40;
    const perCommand = 25;
    const total = commands * perCommand;
    const { config } = nexus;
    const amqp = await connectAmqp({ url: config.amqp.url, logger, name: 'test-publisher' });
    const publisher = new ReportPublisher(amqp, { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue }, new ReportSeal(config.trust.decisionKeys ?? []), logger);
    const stream = new RedisKeys(config.redis.prefix).reports(flood);
    const reader = new Redis(redis.url, { maxRetriesPerRequest: null });
    reader.on('error', () => undefined);
    try {
      await redis.kill();
      // One report of every command per publish, as concurrent commands interleave on the exchange; the bridge takes
      // up to its prefetch (200: five of each command) and tries to store them all at once.
      for (let seq = 0; seq < perCommand; seq++) {
        await publisher.publish(Array.from({ length: commands }, (_, c) => syntheticReport(flood, `flood-${c}`, seq)));
      }
      // Every command's first report at least (its lane holds the rest back) has failed and waits to be retried.
      await until(async () => retriedFloodReports() >= commands, 30_000, `the bridge to retry ${commands} flood appends`);
      await redis.restart();
      await until(async () => (await reader.xlen(stream)) >= total, 60_000, `all ${total} flood reports stored after the restart`);

      const stored = (await reader.xrange(stream, '-', '+')).map(([, fields]) => JSON.parse(fields[1] ?? '{}') as Report);
      expect(stored).toHaveLength(total);
      expect(new Set(stored.map((r) => r.report_id)).size).toBe(total);
      for (let c = 0; c < commands; c++) {
        const seqs = stored.filter((r) => r.correlation_id === `flood-${c}`).map((r) => r.seq);
        expect(seqs, `flood-${c}'s reports in stream order`).toEqual(Array.from({ length: perCommand }, (_, i) => i));
      }
    } finally {
      reader.disconnect();
      await publisher.close();
      await amqp.close();
    }
  });
});

/** Distinct flood reports the bridge has logged a failed append for. */
function retriedFloodReports(): number {
  const ids = new Set<string>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('redis write failed, retrying')) continue;
    const id = /"report_id":"(synthetic\/flood-[^"]+)"/.exec(line)?.[1];
    if (id) ids.add(id);
  }
  return ids.size;
}
