import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { freePort } from '../support/local-server.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../runtime/config/load-config.js';
import type { ReportOf } from '../../contracts/index.js';
import { connectAmqp } from '../../infra/amqp.js';
import { ReportSeal } from '../../infra/trust/report-seal.js';
import { ReportPublisher } from '../../infra/messaging/report-publisher.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { syntheticReport } from '../support/synthetic-reports.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import {
  cleanupEnv, isolatedEnv, killHard, post, REDIS_URL, spawnRole, testLogger, workflowBundle,
} from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'faults' };
const receiver = new WebhookReceiver();
// Agent runs heartbeat every second and count as lost after 3 s without one; their start-to-close stays 5 minutes,
// so a run taken over in seconds can only be the heartbeat's doing. The share waits longer than both.
const env = isolatedEnv('faults', { NEXUS_BRIDGE_PREFETCH: '50', NEXUS_AGENT_HEARTBEAT_TIMEOUT: '3s', NEXUS_AGENT_TIMEOUT: '5m', NEXUS_SHARE_TIMEOUT: '2m' });
const { logger, logFile } = testLogger(env);
let config: Config;
let keys: RedisKeys;
let api: NexusRuntime;
let baseUrl: string;
let redis: Redis;
let hookUrl: string;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  config = loadConfig(env);
  keys = new RedisKeys(config.redis.prefix);
  redis = new Redis(REDIS_URL);
  api = await startNexus(config, { role: 'api', logger });
  baseUrl = `http://127.0.0.1:${api.api?.port}`;
});
afterAll(async () => {
  await api?.stop();
  await redis?.quit();
  await receiver.stop();
  await cleanupEnv(env);
});

async function storedReports(): Promise<Array<{ report_id: string; correlation_id: string }>> {
  const rows = await redis.xrange(keys.reports(tenant), '-', '+');
  return rows.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as { report_id: string; correlation_id: string });
}
const storedReportIds = async () => (await storedReports()).map((r) => r.report_id);

describe('faults lose nothing', () => {
  it('a bridge killed with SIGKILL while reports flow, then restarted, stores every report exactly once', async () => {
    const total = 1500;
    const amqp = await connectAmqp({ url: config.amqp.url, logger, name: 'test-publisher' });
    // The worker's publisher, sealing with the file's keys as a worker of this install would.
    const publisher = new ReportPublisher(amqp, { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue }, new ReportSeal(config.trust.decisionKeys ?? []), logger);
    let bridge: ChildProcess = await spawnRole('bridge', env, logFile);
    const publishing = (async () => {
      for (let i = 0; i < total; i += 50) {
        await publisher.publish(Array.from({ length: 50 }, (_, j) => syntheticReport(tenant, 'bridge-kill', i + j)));
      }
    })();
    await until(async () => (await redis.xlen(keys.reports(tenant))) >= 200, 20_000, 'bridge to store some');
    await killHard(bridge);
    const atKill = await redis.xlen(keys.reports(tenant));
    expect(atKill).toBeLessThan(total);
    await publishing;
    bridge = await spawnRole('bridge', env, logFile);
    try {
      await until(async () => (await redis.xlen(keys.reports(tenant))) >= total, 30_000, 'all reports stored');
      await new Promise((r) => setTimeout(r, 1000));
      const ids = await storedReportIds();
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
    } finally {
      await killHard(bridge);
      await publisher.close();
      await amqp.close();
    }
  });

  it('a worker killed while a RED ask waits, then restarted, completes the command after approval (once)', async () => {
    const bridge = await spawnRole('bridge', env, logFile);
    let worker = await spawnRole('worker', env, logFile);
    try {
      const correlationId = `worker-kill-${Date.now()}`;
      const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
      const res = await post(baseUrl, '/sidecar/command', {
        type: 'agent.run', agent: 'external_share', params: { url: `${hookUrl}/w`, payload: { n: 1 } }, correlation_id: correlationId,
      }, tenant);
      expect(res.status).toBe(202);
      const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'ask');
      const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
      await killHard(worker);

      // With no worker the decision cannot be accepted: a 503 with Retry-After, and the ask stays decidable.
      const early = await post(baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { action_digest: ask?.payload.action_digest, decision: 'approve' }, tenant);
      expect(early.status).toBe(503);
      expect(early.headers.get('retry-after')).toBeTruthy();

      worker = await spawnRole('worker', env, logFile);
      const decided = await post(baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { action_digest: ask?.payload.action_digest, decision: 'approve' }, tenant);
      expect(decided.status).toBe(202);
      await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'completion');
      stream.close();
      expect(stream.reports.map((r) => r.report_type)).toEqual([
        'command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed',
      ]);
      expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);
    } finally {
      await killHard(worker);
      await killHard(bridge);
    }
  });

  it('a worker killed with SIGKILL while the agent runs: another worker takes the run over within seconds, and it takes effect once', async () => {
    const bridge = await spawnRole('bridge', env, logFile);
    const first = await spawnRole('worker', env, logFile);
    let second: ChildProcess | undefined;
    try {
      const correlationId = `agent-kill-${Date.now()}`;
      const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
      const res = await post(baseUrl, '/sidecar/command', {
        type: 'agent.run', agent: 'external_share', params: { url: `${hookUrl}/agent-kill`, payload: { n: 2 } }, correlation_id: correlationId,
      }, tenant);
      expect(res.status).toBe(202);
      const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'ask');
      const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
      // The receiver hangs on the share, so the worker dies in the middle of the agent's call.
      receiver.holdNext = 1;
      const decided = await post(baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { action_digest: ask?.payload.action_digest, decision: 'approve' }, tenant);
      expect(decided.status).toBe(202);
      await until(async () => receiver.held.some((d) => d.correlationId === correlationId), 30_000, 'the agent\'s call to reach the receiver');
      await killHard(first);
      const killedAt = Date.now();

      second = await spawnRole('worker', env, logFile);
      await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 90_000, 'the second worker to complete the run');
      stream.close();
      const delivered = receiver.deliveries.filter((d) => d.correlationId === correlationId);
      const held = receiver.held.filter((d) => d.correlationId === correlationId);
      // Once: the call that died took no effect, the one that did carries the same idempotency key (a receiver that
      // honours it would have deduplicated even a call that landed).
      expect(delivered).toHaveLength(1);
      expect(held).toHaveLength(1);
      expect(delivered[0]?.idempotencyKey).toBe(held[0]?.idempotencyKey);
      // Within seconds of the kill (a process start included), not after the 5-minute start-to-close timeout.
      expect(Date.now() - killedAt).toBeLessThan(60_000);
      expect(stream.reports.map((r) => r.report_type)).toEqual([
        'command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed',
      ]);
    } finally {
      await killHard(first);
      if (second) await killHard(second);
      await killHard(bridge);
    }
  }, 150_000);

  it('an API killed with SIGKILL in the middle of a decide: the approver retries elsewhere and gets exactly one outcome', async () => {
    const bridge = await spawnRole('bridge', env, logFile);
    const worker = await spawnRole('worker', env, logFile);
    const port = await freePort();
    const doomed = await spawnRole('api', { ...env, PORT: String(port) }, logFile);
    try {
      const correlationId = `api-kill-${Date.now()}`;
      const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
      expect((await post(baseUrl, '/sidecar/command', {
        type: 'agent.run', agent: 'external_share', params: { url: `${hookUrl}/a`, payload: { n: 2 } }, correlation_id: correlationId,
      }, tenant)).status).toBe(202);
      const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'ask');
      const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
      if (!ask) throw new Error('no ask');
      const body = { decision: 'approve', action_digest: ask.payload.action_digest };
      // The decide reaches the doomed API, which dies once it has claimed the ask (the update may or may not
      // have reached Temporal): the claim it leaves behind must not block the approver.
      const first = post(`http://127.0.0.1:${port}`, `/approvals/${ask.payload.ask_id}/decide`, body, tenant, { 'x-user-id': 'teacher-kim' }).catch(() => undefined);
      const askKey = keys.ask(tenant, ask.payload.ask_id);
      await until(async () => (await redis.hget(askKey, 'by:teacher-kim')) !== null, 10_000, 'the claim');
      await killHard(doomed);
      await first;
      const retried = await post(baseUrl, `/approvals/${ask.payload.ask_id}/decide`, body, tenant, { 'x-user-id': 'teacher-kim' });
      expect(retried.status).toBe(202);
      await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'completion');
      await new Promise((r) => setTimeout(r, 1000));
      stream.close();
      expect(stream.reports.filter((r) => r.report_type === 'ask_resolved')).toHaveLength(1);
      expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);
      // And a second retry, after the fact, still tells the approver their decision is the one that counted.
      expect((await post(baseUrl, `/approvals/${ask.payload.ask_id}/decide`, body, tenant, { 'x-user-id': 'teacher-kim' })).status).toBe(202);
    } finally {
      await killHard(doomed);
      await killHard(worker);
      await killHard(bridge);
    }
  });

  it('a RabbitMQ restart while commands run loses and duplicates no report', async () => {
    const bridge = await spawnRole('bridge', env, logFile);
    const worker = await startNexus(config, { role: 'worker', logger, workflowBundle: await workflowBundle() });
    const prefix = `rmq-${Date.now()}`;
    const commands = 20;
    try {
      for (let i = 0; i < commands / 2; i++) {
        expect((await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { i }, correlation_id: `${prefix}-${i}` }, tenant)).status).toBe(202);
      }
      execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
      execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' });
      for (let i = commands / 2; i < commands; i++) {
        expect((await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { i }, correlation_id: `${prefix}-${i}` }, tenant)).status).toBe(202);
      }
      const mine = async () => (await storedReports()).filter((r) => r.correlation_id.startsWith(`${prefix}-`)).map((r) => r.report_id);
      await until(async () => (await mine()).length >= commands * 3, 60_000, 'every command to finish');
      await new Promise((r) => setTimeout(r, 1000));
      const ids = await mine();
      expect(ids).toHaveLength(commands * 3);
      expect(new Set(ids).size).toBe(commands * 3);
    } finally {
      await worker.stop();
      await killHard(bridge);
    }
  });
});
