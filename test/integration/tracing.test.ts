import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { freePort } from '../support/local-server.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { until } from '../support/until.js';
import { AMQP_URL, cleanupEnv, isolatedEnv, post, spawnRole, testLogger } from '../support/nexus-under-test.js';

/**
 * One command, one trace: a real NEXUS process (main.ts, every role) exports over OTLP/HTTP to a real local receiver,
 * and the spans it sends must chain from the caller's `traceparent` through the POST, Temporal, the activity,
 * RabbitMQ and the bridge to the SSE write.
 */
const tenant = { org_id: 'acme', project_id: 'tracing' };
const receiver = new OtlpReceiver();
const hooks = new WebhookReceiver();
let hookUrl: string;
let env: Record<string, string>;
let child: ChildProcess | undefined;
let baseUrl: string;

beforeAll(async () => {
  const otlp = await receiver.start();
  hookUrl = await hooks.start();
  const port = await freePort();
  env = isolatedEnv('tracing', {
    PORT: String(port),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_SERVICE_NAME: 'nexus-under-test',
    // The SDK's own batching variable: spans leave within 100 ms instead of 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
  });
  const { logFile } = testLogger(env);
  child = await spawnRole('all', env, logFile);
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await receiver.stop();
  await hooks.stop();
  await cleanupEnv(env);
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Span names from `span` up to the root of its trace (or to a parent that was never received). */
function ancestry(spans: ReceivedSpan[], span: ReceivedSpan): { names: string[]; root: ReceivedSpan } {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names = [span.name];
  let current = span;
  for (let parent = byId.get(current.parentSpanId); parent; parent = byId.get(current.parentSpanId)) {
    names.push(parent.name);
    current = parent;
  }
  return { names, root: current };
}

async function waitForSpans(traceId: string, names: string[]): Promise<ReceivedSpan[]> {
  await until(async () => {
    const have = new Set(receiver.trace(traceId).map((s) => s.name));
    return names.every((n) => have.has(n));
  }, 20_000, `spans ${names.join(', ')} of trace ${traceId} (received: ${[...new Set(receiver.trace(traceId).map((s) => s.name))].join(', ')})`);
  return receiver.trace(traceId);
}

describe('OpenTelemetry traces over OTLP', () => {
  it('follows one command from the caller’s traceparent through the POST, Temporal, RabbitMQ and the bridge to the SSE write', async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const correlationId = `traced-${Date.now()}`;
    const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
    const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { hello: 'trace' }, correlation_id: correlationId }, tenant, {
      traceparent: `00-${traceId}-${callerSpan}-01`,
    });
    expect(res.status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    stream.close();

    const spans = await waitForSpans(traceId, [
      'POST /sidecar/command', 'StartWorkflow:commandWorkflow',
      'publish command_accepted', 'store command_accepted', 'sse command_accepted',
      'publish task_completed', 'store task_completed', 'sse task_completed',
    ]);
    const sse = spans.find((s) => s.name === 'sse task_completed');
    if (!sse) throw new Error('no sse span');
    const { names, root } = ancestry(spans, sse);
    // From the write to the client back to the request that caused it, each hop the child of the one before.
    expect(names.slice(0, 3)).toEqual(['sse task_completed', 'store task_completed', 'publish task_completed']);
    // The workflow makes no spans of its own (workflows/trace-headers.ts): its activities continue its start.
    expect(names.slice(3)).toEqual(['RunActivity:publishReports', 'StartWorkflow:commandWorkflow', 'POST /sidecar/command']);
    expect(root.parentSpanId).toBe(callerSpan);

    const post202 = spans.find((s) => s.name === 'POST /sidecar/command');
    expect(post202?.attributes).toMatchObject({ 'http.route': '/sidecar/command', 'http.response.status_code': 202 });
    for (const name of ['POST /sidecar/command', 'StartWorkflow:commandWorkflow', names[3] ?? '', 'publish task_completed', 'store task_completed', 'sse task_completed']) {
      expect(spans.find((s) => s.name === name)?.attributes.correlation_id, name).toBe(correlationId);
    }
    expect(spans.find((s) => s.name === 'store task_completed')?.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'nexus.report_type': 'task_completed' });
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['nexus-under-test']));
    expect(new Set(spans.map((s) => s.role))).toEqual(new Set(['all']));
    expect(spans.every((s) => s.status.code !== 2)).toBe(true);
    // The exporter spoke OTLP/HTTP JSON to the standard path.
    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType?.startsWith('application/json'))).toBe(true);
  });

  it('starts a trace at the POST when the caller sends none', async () => {
    const correlationId = `untraced-${Date.now()}`;
    const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
    const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: {}, correlation_id: correlationId }, tenant);
    expect(res.status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    stream.close();
    await until(async () => receiver.spans.some((s) => s.name === 'POST /sidecar/command' && s.attributes.correlation_id === correlationId), 20_000, 'the POST span');
    const postSpan = receiver.spans.find((s) => s.name === 'POST /sidecar/command' && s.attributes.correlation_id === correlationId);
    if (!postSpan) throw new Error('no POST span');
    expect(postSpan.parentSpanId).toBe('');
    const spans = await waitForSpans(postSpan.traceId, ['sse task_completed']);
    const sse = spans.find((s) => s.name === 'sse task_completed');
    if (!sse) throw new Error('no sse span');
    expect(ancestry(spans, sse).root.spanId).toBe(postSpan.spanId);
  });

  it('keeps a RED command one trace across its approval, which is a trace of its own', async () => {
    const commandTrace = hex(16);
    const approverTrace = hex(16);
    const share = await sendShare({ baseUrl, tenant, hookUrl, label: 'traced-share', headers: { traceparent: `00-${commandTrace}-${hex(8)}-01` } });
    const decided = await post(baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, {
      'x-user-id': 'principal-park',
      traceparent: `00-${approverTrace}-${hex(8)}-01`,
    });
    expect(decided.status).toBe(202);
    await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the approved share to complete');
    share.stream.close();
    const spans = await waitForSpans(commandTrace, [
      'POST /sidecar/command', 'sse ask_created', 'RunActivity:verifyDecision', 'sse ask_resolved', 'sse task_started', 'sse task_completed',
    ]);
    // Everything the command did, the decision's check and what ran after it included, hangs from the share's POST.
    const sharePost = spans.find((s) => s.name === 'POST /sidecar/command');
    for (const span of spans) expect(ancestry(spans, span).root, span.name).toBe(sharePost);
    // The approver's request is its own trace: it asked Temporal for the update, and the command did the rest.
    const approval = await waitForSpans(approverTrace, ['POST /approvals/:ask_id/decide', 'StartWorkflowUpdate:decide']);
    expect(approval.find((s) => s.name === 'POST /approvals/:ask_id/decide')?.attributes).toMatchObject({
      correlation_id: share.correlationId, 'http.response.status_code': 202,
    });
    expect(approval.filter((s) => /^(RunActivity|publish|store|sse) /.test(s.name.replace(':', ' ')))).toEqual([]);
  });

  it('does not let a message NEXUS did not seal join someone’s trace', async () => {
    const traceId = hex(16);
    const messageId = `forged-${hex(6)}`;
    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      const forged = { report_id: messageId, org_id: tenant.org_id, project_id: tenant.project_id, report_type: 'task_completed' };
      channel.publish(env.NEXUS_REPORTS_EXCHANGE ?? '', 'acme.tracing.task_completed', Buffer.from(JSON.stringify(forged)), {
        messageId,
        headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
      });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    await until(async () => receiver.spans.some((s) => s.attributes['messaging.message.id'] === messageId), 20_000, `the bridge's span for ${messageId}`);
    const span = receiver.spans.find((s) => s.attributes['messaging.message.id'] === messageId);
    expect(span).toMatchObject({ name: 'store report', parentSpanId: '', status: { code: 2 } });
    expect(span?.traceId).not.toBe(traceId);
    expect(receiver.trace(traceId)).toEqual([]);
  });
});
