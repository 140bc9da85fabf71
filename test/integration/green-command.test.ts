import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseRecorder } from '../support/sse-client.js';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../infra/store/keys.js';
import { AMQP_URL, REDIS_URL, bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus, temporalClient } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'green' };
const env = isolatedEnv('green');
let nexus: RunningNexus;
let temporal: Client;
const { logger, logFile } = testLogger(env);

beforeAll(async () => {
  nexus = await bootNexus(env, logger);
  temporal = await temporalClient(env);
});
afterAll(async () => {
  await nexus?.stop();
  await temporal?.connection.close();
  await cleanupEnv(env);
});

describe('a GREEN command', () => {
  it('answers 202 and streams command_accepted, task_started, task_completed with its correlation_id', async () => {
    const stream = await SseRecorder.open(nexus.baseUrl, tenant);
    const correlationId = `green-${Date.now()}`;
    const res = await post(nexus.baseUrl, '/sidecar/command', {
      type: 'agent.run', agent: 'echo', params: { hello: 'world' }, correlation_id: correlationId,
    }, tenant);

    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      status: 'accepted',
      correlation_id: correlationId,
      command_id: expect.any(String),
      workflow_id: `nexus/acme/green/${res.body.command_id}`,
    });

    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    stream.close();
    const mine = reports.filter((r) => r.correlation_id === correlationId);
    expect(mine.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect(mine.map((r) => r.seq)).toEqual([0, 1, 2]);
    const completed = mine[2];
    expect(completed?.report_type === 'task_completed' && completed.payload.result).toEqual({ hello: 'world' });
    for (const r of mine) {
      expect(r).toMatchObject({ org_id: 'acme', project_id: 'green', command_id: res.body.command_id, workflow_id: res.body.workflow_id });
    }
    const ids = stream.reportEvents.map((e) => e.id);
    expect(ids.every((id) => /^\d+-\d+$/.test(id ?? ''))).toBe(true);
  });

  it('carries the correlation_id unchanged on every AMQP message and every log line the command causes', async () => {
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, env.NEXUS_REPORTS_EXCHANGE ?? '', '#');
    const seen: Array<{ correlationId: string | undefined; messageId: string | undefined; persistent: boolean; routingKey: string; headers: string[] }> = [];
    await channel.consume(queue, (msg) => {
      if (msg) seen.push({ correlationId: msg.properties.correlationId, messageId: msg.properties.messageId, persistent: msg.properties.deliveryMode === 2, routingKey: msg.fields.routingKey, headers: Object.keys(msg.properties.headers ?? {}) });
    }, { noAck: true });

    const correlationId = `trace-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
    const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: {}, correlation_id: correlationId }, tenant);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'));
    stream.close();
    await connection.close();

    const mine = seen.filter((m) => m.messageId?.startsWith(`${res.body.workflow_id}:`));
    expect(mine.map((m) => m.routingKey)).toEqual(['acme.green.command_accepted', 'acme.green.task_started', 'acme.green.task_completed']);
    expect(mine.every((m) => m.correlationId === correlationId && m.persistent)).toBe(true);
    // Tracing is off here (no OTEL_EXPORTER_OTLP_ENDPOINT): the seal is the only header, and no entry carries a trace.
    expect(new Set(mine.flatMap((m) => m.headers))).toEqual(new Set(['x-nexus-seal']));
    const redis = new Redis(REDIS_URL);
    try {
      const entries = await redis.xrange(new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '').reports(tenant), '-', '+');
      expect(entries.length).toBeGreaterThanOrEqual(3);
      expect(entries.filter(([, fields]) => fields.length !== 2 || fields[0] !== 'report')).toEqual([]);
    } finally {
      redis.disconnect();
    }

    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes(res.body.workflow_id));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(JSON.parse(line).correlation_id, line).toBe(correlationId);
  });

  it('is found in Temporal by its NexusCorrelationId search attribute, with org, project, risk and type', async () => {
    const correlationId = `sa-${Date.now()}`;
    const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: {}, correlation_id: correlationId }, tenant);
    expect(res.status).toBe(202);
    await temporal.workflow.getHandle(res.body.workflow_id).result();

    let found: Array<{ workflowId: string; attrs: Record<string, unknown> }> = [];
    // Visibility is eventually consistent, even on the dev server.
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of temporal.workflow.list({ query: `NexusCorrelationId = '${correlationId}'` })) {
        found.push({ workflowId: wf.workflowId, attrs: wf.searchAttributes as Record<string, unknown> });
      }
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found.map((f) => f.workflowId)).toEqual([res.body.workflow_id]);
    expect(found[0]?.attrs).toMatchObject({
      NexusOrgId: ['acme'], NexusProjectId: ['green'], NexusRiskLevel: ['GREEN'], NexusCommandType: ['agent.run'],
    });
    const description = await temporal.workflow.getHandle(res.body.workflow_id).describe();
    expect(await description.staticSummary()).toContain('agent echo');
  });

  it('with the same command_id twice starts one workflow and streams one set of reports', async () => {
    const commandId = `idem-${Date.now()}`;
    const body = { type: 'agent.run', agent: 'echo', params: { n: 1 }, command_id: commandId };
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: commandId });
    const first = await post(nexus.baseUrl, '/sidecar/command', body, tenant);
    const second = await post(nexus.baseUrl, '/sidecar/command', body, tenant);
    expect(first.status).toBe(202);
    expect(second).toMatchObject({ status: 202, body: first.body });

    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'));
    // A third send after completion must not start a new run either.
    const third = await post(nexus.baseUrl, '/sidecar/command', body, tenant);
    expect(third).toMatchObject({ status: 202, body: first.body });
    await new Promise((r) => setTimeout(r, 1500));
    stream.close();
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);

    let runs = 0;
    for await (const _ of temporal.workflow.list({ query: `WorkflowId = '${first.body.workflow_id}'` })) runs++;
    expect(runs).toBe(1);

    const conflicting = await post(nexus.baseUrl, '/sidecar/command', { ...body, params: { n: 2 } }, tenant);
    expect(conflicting.status).toBe(409);
    expect(conflicting.body.error.code).toBe('conflict');
  });
});
