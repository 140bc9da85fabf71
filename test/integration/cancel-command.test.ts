import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor, type Report } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { isolatedEnv, post, REDIS_URL, temporalClient, type RunningNexus } from '../support/nexus-under-test.js';
import { bootSharingNexus, type SharingNexus } from '../support/sharing-nexus.js';
import { auditEntries } from '../support/audit-entries.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import type { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Steering from NEXUS: `POST /commands/{command_id}/cancel` (202, audited with the caller) stops a command
 * wherever it is — waiting on its ask (closed with it, so a late decide is a 409) or inside an agent's call (the
 * agent stops, nothing is delivered) — and the workflow itself writes `task_cancelled`. Bad requests change nothing.
 */
const tenant = { org_id: 'acme', project_id: 'cancel' };
// Agents heartbeat every second, so a running one hears of the cancellation within seconds.
const env = isolatedEnv('cancel', { NEXUS_AGENT_HEARTBEAT_TIMEOUT: '3s', NEXUS_SHARE_TIMEOUT: '2m' });
let world: SharingNexus;
let hookUrl: string;
let receiver: WebhookReceiver;
let nexus: RunningNexus;
let redis: Redis;
let keys: RedisKeys;

beforeAll(async () => {
  world = await bootSharingNexus(env);
  ({ nexus, receiver, hookUrl } = world);
  redis = new Redis(REDIS_URL);
  keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await world?.stop();
});

const cancel = (commandId: string, body?: unknown) => post(nexus.baseUrl, `/commands/${commandId}/cancel`, body ?? {}, tenant, { 'x-user-id': 'operator-lee' });
const ended = (rs: Report[]) => rs.some((r) => ['task_completed', 'task_failed', 'task_cancelled'].includes(r.report_type));
const commandIdOf = (workflowId: string) => workflowId.split('/').pop() ?? '';

async function temporalStatus(workflowId: string): Promise<string> {
  const client = await temporalClient(env);
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } finally {
    await client.connection.close();
  }
}

describe('cancelling a command from NEXUS', () => {
  it('stops a command waiting on its ask: task_cancelled with the ask, which is closed; audited; a second cancel is a 409', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label: 'cancel-ask' });
    const commandId = commandIdOf(share.workflowId);
    const res = await cancel(commandId, { reason: 'sent to the wrong class' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', command_id: commandId, correlation_id: share.correlationId, workflow_id: share.workflowId });

    const reports = await share.stream.waitFor(ended, 30_000, 'the cancelled command to end on its stream');
    share.stream.close();
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'task_cancelled']);
    expect(reports[2]?.payload).toEqual({ reason: 'cancelled', ask_id: share.ask.payload.ask_id });
    await until(async () => (await redis.hget(keys.ask(tenant, share.ask.payload.ask_id), 'status')) === 'closed', 10_000, 'the bridge to close the ask');
    await until(async () => (await temporalStatus(share.workflowId)) === 'CANCELLED', 10_000, 'Temporal to show the workflow cancelled');

    const late = await post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('ask_not_pending');
    const again = await cancel(commandId);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('command_not_running');

    const audit = await auditEntries(redis, keys, tenant.org_id);
    const cancels = audit.filter((e) => e.event === 'cancel' && e.correlation_id === share.correlationId);
    expect(cancels.map((e) => [e.principal, e.status])).toEqual([['operator-lee', '202'], ['operator-lee', '409']]);
    expect(receiver.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(0);
  });

  it('stops an agent in the middle of its call: the call never completes, nothing is delivered, the stream says cancelled', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label: 'cancel-running' });
    receiver.holdNext = 1;
    const decided = await post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(decided.status).toBe(202);
    await until(async () => receiver.held.some((d) => d.correlationId === share.correlationId), 30_000, 'the agent\'s call to reach the receiver');

    expect((await cancel(commandIdOf(share.workflowId))).status).toBe(202);
    const reports = await share.stream.waitFor(ended, 30_000, 'the running command to end on its stream');
    share.stream.close();
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_cancelled']);
    expect(reports[4]?.payload).toEqual({ reason: 'cancelled' });
    // The agent stopped its call before the command said it was cancelled: the workflow waited for it.
    expect(receiver.held.find((d) => d.correlationId === share.correlationId)?.closedAt).toBeDefined();
    await until(async () => (await temporalStatus(share.workflowId)) === 'CANCELLED', 10_000, 'Temporal to show the workflow cancelled');
    expect(receiver.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(0);
  });

  it('answers what is not a running command of this tenant with 404 or 409, and a bad body with 400, cancelling nothing', async () => {
    const correlationId = `cancel-done-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
    const sent = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { n: 1 }, correlation_id: correlationId, command_id: correlationId }, tenant);
    expect(sent.status).toBe(202);
    await stream.waitFor(ended, 30_000, 'the echo command to complete');
    stream.close();
    // The stream tells the end a moment before the workflow closes; a cancel in between is accepted and changes nothing.
    await until(async () => (await temporalStatus(workflowIdFor(tenant, correlationId))) === 'COMPLETED', 10_000, 'the echo workflow to close');
    expect((await cancel(correlationId)).body.error).toMatchObject({ code: 'command_not_running' });
    expect((await cancel('no-such-command')).status).toBe(404);
    expect((await cancel('x'.repeat(200))).status).toBe(404);
    // Another tenant's command is not found from here.
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label: 'cancel-other-tenant' });
    const commandId = commandIdOf(share.workflowId);
    expect((await post(nexus.baseUrl, `/commands/${commandId}/cancel`, {}, { ...tenant, project_id: 'elsewhere' })).status).toBe(404);
    expect((await cancel(commandId, { reason: 5 })).status).toBe(400);
    expect((await cancel(commandId, { reason: 'ok', extra: true })).status).toBe(400);
    expect(await temporalStatus(share.workflowId)).toBe('RUNNING');
    // Finally a cancel without a body at all, as `curl -X POST` sends it.
    const bare = await fetch(new URL(`/commands/${commandId}/cancel`, nexus.baseUrl), { method: 'POST', headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(bare.status).toBe(202);
    await share.stream.waitFor(ended, 30_000, 'the share to end cancelled');
    share.stream.close();
  });
});
