import type { ChildProcess } from 'node:child_process';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/local-server.js';
import { PrivateRedis } from '../support/private-redis.js';
import { isolatedEnv, killHard, post, spawnRole, testLogger, AMQP_URL, type RunningNexus } from '../support/nexus-under-test.js';
import { bootSharingNexus, type SharingNexus } from '../support/sharing-nexus.js';
import { parsePrometheusText, sampleValue, type Sample } from '../support/prometheus-text.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';

/**
 * `/metrics` as Prometheus scrapes it: what one NEXUS did, counted exactly (its registry starts at zero), labelled by
 * route, type and outcome and never by tenant or id; a worker process serves Temporal core's metrics too.
 */
const tenant = { org_id: 'metricsorg', project_id: 'metricsproj' };
const env = isolatedEnv('metrics');
let world: SharingNexus;
let nexus: RunningNexus;

beforeAll(async () => {
  world = await bootSharingNexus(env);
  nexus = world.nexus;
}, 120_000);
afterAll(() => world?.stop());

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parsePrometheusText(text) };
}

const ended = (rs: Array<{ report_type: string }>) => rs.some((r) => ['task_completed', 'task_failed', 'task_cancelled'].includes(r.report_type));

describe('GET /metrics', () => {
  it('counts commands, asks, decisions, bridge and stream work exactly, with no tenant or id in it', async () => {
    const watcher = await SseRecorder.open(nexus.baseUrl, tenant);
    await until(async () => watcher.isLive, 10_000, 'the watching stream to be live');

    const green = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { n: 1 }, correlation_id: 'metrics-green' }, tenant);
    expect(green.status).toBe(202);
    const approved = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl: world.hookUrl, label: 'metrics-approved', headers: { 'x-user-id': 'teacher-a' } });
    expect((await post(nexus.baseUrl, `/approvals/${approved.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: approved.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-b' })).status).toBe(202);
    const denied = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl: world.hookUrl, label: 'metrics-denied', headers: { 'x-user-id': 'teacher-a' } });
    expect((await post(nexus.baseUrl, `/approvals/${denied.ask.payload.ask_id}/decide`, { decision: 'deny', action_digest: denied.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-b' })).status).toBe(202);
    await approved.stream.waitFor(ended, 30_000, 'the approved share to end');
    await denied.stream.waitFor(ended, 30_000, 'the denied share to end');
    approved.stream.close();
    denied.stream.close();
    // 3 + 5 + 4 reports (the denied share never started), all seen live by the watcher.
    await watcher.waitFor((rs) => rs.length === 12, 30_000, 'all 12 reports on the watching stream');

    expect((await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'no_such_agent' }, tenant)).status).toBe(400);
    expect((await fetch(new URL('/no/such/route/secret-path-zz', nexus.baseUrl))).status).toBe(404);
    // A message nobody sealed reaches the exchange: dead-lettered, and counted.
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createConfirmChannel();
    await new Promise<void>((resolve, reject) => channel.publish(env.NEXUS_REPORTS_EXCHANGE ?? '', 'metricsorg.metricsproj.task_completed', Buffer.from('{}'), { persistent: true }, (err) => (err ? reject(err) : resolve())));
    await connection.close();

    const url = new URL('/metrics', nexus.baseUrl).toString();
    await until(async () => sampleValue((await scrape(url)).samples, 'nexus_bridge_dead_letters_total', { reason: 'unsealed' }) === 1, 10_000, 'the unsealed message to be counted');
    const { text, samples } = await scrape(url);
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);

    expect(v('nexus_commands_started_total', { type: 'agent.run' })).toBe(3);
    expect(v('nexus_commands_ended_total', { outcome: 'completed' })).toBe(2);
    expect(v('nexus_commands_ended_total', { outcome: 'cancelled' })).toBe(1);
    expect(v('nexus_asks_created_total', { risk_level: 'RED' })).toBe(2);
    expect(v('nexus_asks_ended_total', { outcome: 'approve' })).toBe(1);
    expect(v('nexus_asks_ended_total', { outcome: 'deny' })).toBe(1);
    expect(v('nexus_ask_decision_seconds_count', { decision: 'approve' })).toBe(1);
    expect(v('nexus_ask_decision_seconds_sum')).toBeGreaterThan(0);
    expect(v('nexus_bridge_reports_total', { result: 'stored' })).toBe(12);
    expect(v('nexus_report_store_lag_seconds_count')).toBe(12);
    expect(v('nexus_sse_reports_total', { phase: 'live' })).toBeGreaterThanOrEqual(12);
    expect(v('nexus_sse_delivery_lag_seconds_count')).toBeGreaterThanOrEqual(12);
    expect(v('nexus_sse_clients')).toBe(1);
    expect(v('nexus_http_requests_total', { method: 'POST', route: '/sidecar/command', status: '202' })).toBe(3);
    expect(v('nexus_http_requests_total', { method: 'POST', route: '/sidecar/command', status: '400' })).toBe(1);
    expect(v('nexus_http_requests_total', { method: 'POST', route: '/approvals/:ask_id/decide', status: '202' })).toBe(2);
    expect(v('nexus_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(v('nexus_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(samples.every((s) => s.labels.nexus_role === 'all')).toBe(true);
    // How NEXUS runs, never whose work: no tenant, correlation id, user or ask id anywhere in the scrape.
    for (const secret of [tenant.org_id, tenant.project_id, 'metrics-green', approved.correlationId, 'teacher-a', 'principal-b', approved.ask.payload.ask_id, 'secret-path-zz']) {
      expect(text).not.toContain(secret);
    }

    watcher.close();
    await until(async () => sampleValue((await scrape(url)).samples, 'nexus_sse_clients') === 0, 10_000, 'the closed stream to leave the gauge');
  });

  it('gauges the asks still open in every tenant, until each is decided', async () => {
    const url = new URL('/metrics', nexus.baseUrl).toString();
    const open = async () => sampleValue((await scrape(url)).samples, 'nexus_asks_open');
    const other = { org_id: 'metricsother', project_id: 'metricsproj' };
    expect(await open()).toBe(0);
    const first = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl: world.hookUrl, label: 'metrics-open-a', headers: { 'x-user-id': 'teacher-a' } });
    const second = await sendShare({ baseUrl: nexus.baseUrl, tenant: other, hookUrl: world.hookUrl, label: 'metrics-open-b', headers: { 'x-user-id': 'teacher-a' } });
    await until(async () => (await open()) === 2, 10_000, 'two open asks, one in each tenant');
    const decide = (share: typeof first, t: typeof tenant, decision: string) =>
      post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision, action_digest: share.ask.payload.action_digest }, t, { 'x-user-id': 'principal-b' });
    expect((await decide(first, tenant, 'approve')).status).toBe(202);
    await first.stream.waitFor(ended, 30_000, 'the approved share to end');
    await until(async () => (await open()) === 1, 10_000, 'one open ask after the approval');
    expect((await decide(second, other, 'deny')).status).toBe(202);
    await second.stream.waitFor(ended, 30_000, 'the denied share to end');
    await until(async () => (await open()) === 0, 10_000, 'no open ask after the denial');
    first.stream.close();
    second.stream.close();
  });

  it('is served by a worker process on NEXUS_METRICS_PORT, with the Temporal core\'s worker metrics', async () => {
    const port = await freePort();
    let worker: ChildProcess | undefined;
    try {
      worker = await spawnRole('worker', { ...env, NEXUS_METRICS_PORT: String(port) }, testLogger(env).logFile);
      const url = `http://127.0.0.1:${port}/metrics`;
      await until(async () => (await scrape(url)).text.includes('temporal_'), 20_000, 'Temporal core metrics in the worker\'s scrape');
      const { samples } = await scrape(url);
      expect(samples.some((s) => s.name.startsWith('temporal_') && s.labels.task_queue === env.TEMPORAL_TASK_QUEUE)).toBe(true);
      expect(sampleValue(samples, 'nexus_process_cpu_seconds_total', { nexus_role: 'worker' })).toBeGreaterThan(0);
      // An orchestrator's probe: the worker's own dependencies, each named.
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', checks: { 'worker.temporal': 'ok', 'worker.redis': 'ok', 'worker.rabbitmq': 'ok' } });
    } finally {
      if (worker) await killHard(worker);
    }
  });

  it('a bridge answers GET /health on NEXUS_METRICS_PORT: 503 naming its Redis while that is down, 200 once it is back', async () => {
    const redis = await PrivateRedis.start();
    const port = await freePort();
    const bridgeEnv = { ...env, REDIS_URL: redis.url, NEXUS_METRICS_PORT: String(port), NEXUS_BRIDGE_QUEUE: `${env.NEXUS_BRIDGE_QUEUE}.health` };
    let bridge: ChildProcess | undefined;
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      return { status: response.status, body: (await response.json()) as { status: string; failed?: string[] } };
    };
    try {
      bridge = await spawnRole('bridge', bridgeEnv, testLogger(env).logFile);
      expect(await health()).toEqual({ status: 200, body: { status: 'ok', checks: { 'bridge.redis': 'ok', 'bridge.rabbitmq': 'ok' } } });
      await redis.kill();
      await until(async () => (await health()).status === 503, 20_000, 'the bridge\'s /health to see its Redis gone');
      expect((await health()).body).toMatchObject({ status: 'unavailable', failed: ['bridge.redis'] });
      await redis.restart();
      await until(async () => (await health()).status === 200, 30_000, 'the bridge\'s /health to see its Redis back');
    } finally {
      if (bridge) await killHard(bridge);
      await redis.remove();
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      for (const queue of [bridgeEnv.NEXUS_BRIDGE_QUEUE, `${bridgeEnv.NEXUS_BRIDGE_QUEUE}.dead`]) await channel.deleteQueue(queue);
      await connection.close();
    }
  });
});
