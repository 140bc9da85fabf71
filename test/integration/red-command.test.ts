import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendShare } from '../support/red-share.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus, temporalClient } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'red' };
const otherTenant = { org_id: 'globex', project_id: 'red' };
const receiver = new WebhookReceiver();
const env = isolatedEnv('red');
const expiringEnv = isolatedEnv('red-expiry', { NEXUS_ASK_TIMEOUT: '2s' });
let hookUrl: string;
let nexus: RunningNexus;
let expiring: RunningNexus;
let temporal: Client;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = expiringEnv.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  const { logger } = testLogger(env);
  nexus = await bootNexus(env, logger);
  expiring = await bootNexus(expiringEnv, logger);
  temporal = await temporalClient(env);
});
afterAll(async () => {
  await nexus?.stop();
  await expiring?.stop();
  await temporal?.connection.close();
  await receiver.stop();
  await cleanupEnv(env);
  await cleanupEnv(expiringEnv);
});

const shareAsking = (target: RunningNexus, label: string, extra: Record<string, unknown> = {}) =>
  sendShare({ baseUrl: target.baseUrl, tenant, hookUrl, label, payload: { grades: [1, 2, 3], label }, extra });

const deliveriesFor = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);
const settle = () => new Promise((r) => setTimeout(r, 1500));

describe('a RED command', () => {
  it('waits for approval even when the client claims GREEN, then runs exactly once after approve', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking(nexus, 'approve', { risk_level: 'GREEN' });
    expect(ask.payload).toMatchObject({
      risk_level: 'RED',
      action: { agent: 'external_share', params: { url: expect.stringContaining(hookUrl) } },
      action_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      options: ['approve', 'deny'],
    });
    expect(Date.parse(ask.payload.expires_at)).toBeGreaterThan(Date.now());
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);

    const decided = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, {
      decision: 'approve', reason: 'ok', action_digest: ask.payload.action_digest,
    }, tenant, { 'x-user-id': 'teacher-kim' });
    expect(decided).toMatchObject({ status: 202, body: { status: 'accepted', ask_id: ask.payload.ask_id, correlation_id: correlationId } });

    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    expect(stream.reports.map((r) => r.report_type)).toEqual([
      'command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed',
    ]);
    expect(stream.reports[2]?.payload).toMatchObject({ decision: 'approve', decided_by: 'teacher-kim', reason: 'ok' });
    expect(deliveriesFor(correlationId)).toMatchObject([
      { idempotencyKey: `${workflowId}:step-0`, correlationId, body: { grades: [1, 2, 3], label: 'approve' } },
    ]);

    const again = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'approve' }, tenant);
    expect(again.status).toBe(409);
    const flip = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'deny' }, tenant);
    expect(flip.status).toBe(409);
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(1);
    stream.close();
  });

  it('never runs when denied, and records the reason', async () => {
    const { correlationId, stream, ask } = await shareAsking(nexus, 'deny');
    const decided = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'deny', reason: 'not to that address' }, tenant);
    expect(decided.status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'task_cancelled');
    expect(stream.reports.map((r) => r.report_type)).toEqual([
      'command_accepted', 'ask_created', 'ask_resolved', 'task_cancelled',
    ]);
    expect(stream.reports[3]?.payload).toMatchObject({ reason: 'not to that address' });
    const late = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'approve' }, tenant);
    expect(late.status).toBe(409);
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    stream.close();
  });

  it('never runs after the ask expired, and a decision after expiry is a 409', async () => {
    const { correlationId, stream, ask } = await shareAsking(expiring, 'expire');
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'expiry');
    expect(stream.reports.map((r) => r.report_type)).toEqual([
      'command_accepted', 'ask_created', 'ask_expired', 'task_cancelled',
    ]);
    const late = await post(expiring.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'approve' }, tenant);
    expect(late.status).toBe(409);
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    stream.close();
  });

  it("ignores a decision sent with another tenant's headers (404, no effect)", async () => {
    const { correlationId, stream, ask } = await shareAsking(nexus, 'foreign');
    const foreign = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'approve' }, otherTenant);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    await settle();
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created']);
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    // The rightful tenant can still decide: the foreign attempt consumed nothing.
    const own = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision: 'deny' }, tenant);
    expect(own.status).toBe(202);
    stream.close();
  });

  it('refuses a decision whose action_digest differs from the action shown (409, nothing runs)', async () => {
    const { correlationId, stream, ask } = await shareAsking(nexus, 'digest');
    const wrong = `sha256:${'0'.repeat(64)}`;
    const res = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: wrong }, tenant);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('digest_mismatch');
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created']);
    stream.close();
  });

  it('accepts exactly one of several racing decisions', async () => {
    const { correlationId, stream, ask } = await shareAsking(nexus, 'race');
    const results = await Promise.all(
      ['approve', 'deny', 'approve', 'deny', 'approve'].map((decision) =>
        post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision }, tenant),
      ),
    );
    await stream.waitFor((rs) => rs.some((r) => ['task_completed', 'task_cancelled'].includes(r.report_type)));
    const resolved = stream.reports.filter((r) => r.report_type === 'ask_resolved');
    expect(resolved).toHaveLength(1);
    // One decider: the decision that won is answered 202 each time it was sent (a retry of the same decision is
    // answered like the first); the other one is a 409.
    const winner = resolved[0]?.payload && 'decision' in resolved[0].payload ? resolved[0].payload.decision : undefined;
    const sent = ['approve', 'deny', 'approve', 'deny', 'approve'];
    expect(results.map((r) => r.status)).toEqual(sent.map((d) => (d === winner ? 202 : 409)));
    await settle();
    const approved = resolved[0]?.payload && 'decision' in resolved[0].payload && resolved[0].payload.decision === 'approve';
    expect(deliveriesFor(correlationId)).toHaveLength(approved ? 1 : 0);
    stream.close();
  });
});
