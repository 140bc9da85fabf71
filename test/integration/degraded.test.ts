import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load-config.js';
import { deadLetterQueue } from '../../infra/messaging/report-topology.js';
import { REPORT_SEAL_HEADER, ReportSeal } from '../../infra/trust/report-seal.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { syntheticReport } from '../support/synthetic-reports.js';
import { AMQP_URL, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger } from '../support/nexus-under-test.js';
import { readFileSync } from 'node:fs';

const tenant = { org_id: 'acme', project_id: 'degraded' };
// Nothing listens on port 1: Temporal is "down" for this API.
const env = isolatedEnv('degraded', { TEMPORAL_ADDRESS: '127.0.0.1:1' });
const { logger, logFile } = testLogger(env);
let nexus: NexusRuntime;
let baseUrl: string;

beforeAll(async () => {
  nexus = await startNexus(loadConfig(env), { role: 'api', logger });
  baseUrl = `http://127.0.0.1:${nexus.api?.port}`;
});
afterAll(async () => {
  await nexus?.stop();
  await cleanupEnv(env);
});

describe('with Temporal unreachable', () => {
  it('answers a valid command with 503 and Retry-After, never 500 or 202', async () => {
    const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: {} }, tenant);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.body.error.code).toBe('backend_unavailable');
  });

  it('reports which dependency failed on /health', async () => {
    const res = await fetch(new URL('/health', baseUrl));
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.failed).toEqual(['temporal']);
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.rabbitmq).toBe('ok');
    // Where to look: the address this API dials, not only the name of what failed.
    expect(body.addresses.temporal).toBe('127.0.0.1:1 (namespace default)');
  });

  it('still validates input first: bad input is a 4xx, not a 503', async () => {
    const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'nope' }, tenant);
    expect(res.status).toBe(400);
  });
});

describe('the bridge', () => {
  it('dead-letters a message that is not a valid report, logs it, and keeps storing valid ones', async () => {
    const bridgeEnv = isolatedEnv('dlq');
    const bridgeLog = testLogger(bridgeEnv);
    const bridge = await startNexus(loadConfig(bridgeEnv), { role: 'bridge', logger: bridgeLog.logger });
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createConfirmChannel();
    const redis = new Redis(REDIS_URL);
    try {
      const exchange = bridgeEnv.NEXUS_REPORTS_EXCHANGE ?? '';
      // Sealed as NEXUS's publishers seal: these messages get past the seal check, and are judged as reports.
      const seal = new ReportSeal(loadConfig(bridgeEnv).trust.decisionKeys ?? []);
      const publish = (body: string, correlationId: string) =>
        new Promise<void>((resolve, reject) =>
          channel.publish(exchange, 'acme.degraded.task_progress', Buffer.from(body), {
            persistent: true, correlationId, messageId: `m-${correlationId}`, headers: { [REPORT_SEAL_HEADER]: seal.sign(Buffer.from(body)) },
          }, (err) => (err ? reject(err) : resolve())),
        );
      await publish('{"not":"a report"}', 'poison-1');
      await publish('this is not json', 'poison-2');
      const valid = syntheticReport(tenant, 'valid-after-poison', 0);
      await publish(JSON.stringify(valid), valid.correlation_id);
      const spoofed = syntheticReport(tenant, 'body-says-a', 1);
      await publish(JSON.stringify(spoofed), 'property-says-b');

      const dlq = deadLetterQueue({ exchange, bridgeQueue: bridgeEnv.NEXUS_BRIDGE_QUEUE ?? '' });
      const key = new RedisKeys(bridgeEnv.NEXUS_REDIS_PREFIX ?? '').reports(tenant);
      for (let i = 0; i < 100; i++) {
        const { messageCount } = await channel.checkQueue(dlq);
        if (messageCount === 3 && (await redis.xlen(key)) === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await channel.checkQueue(dlq)).messageCount).toBe(3);
      const stored = await redis.xrange(key, '-', '+');
      expect(stored.map(([, f]) => JSON.parse(f[1] ?? '{}').correlation_id)).toEqual(['valid-after-poison']);
      const log = readFileSync(bridgeLog.logFile, 'utf8');
      expect(log).toMatch(/"correlation_id":"poison-1".*invalid report dead-lettered/);
    } finally {
      await redis.quit();
      await connection.close();
      await bridge.stop();
      await cleanupEnv(bridgeEnv);
    }
  });
});

// Keep the file's own log referenced so a failure can be diagnosed from test-artifacts/.
void logFile;
