import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '../../contracts/index.js';
import { REDIS_URL } from '../../test/support/nexus-under-test.js';
import { AskIndex } from './ask-index.js';
import { RedisKeys } from './keys.js';
import { ReportStore } from './report-store.js';

// The ask index on a real Redis, as the bridge fills it and the API claims from it.
const prefix = `test:ask-index-${randomUUID().slice(0, 8)}:`;
const tenant = { org_id: 'acme', project_id: 'ask-index' };
const digest = `sha256:${'a'.repeat(64)}`;
let redis: Redis;
let index: AskIndex;
let store: ReportStore;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  const keys = new RedisKeys(prefix);
  index = new AskIndex(redis, keys);
  store = new ReportStore(redis, keys, 1_000);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function report(askId: string, seq: number, type: 'ask_created' | 'ask_resolved' | 'task_cancelled', payload: Record<string, unknown>): Report {
  const workflowId = `nexus/${tenant.org_id}/${tenant.project_id}/${askId}`;
  return Report.parse({
    report_id: `${workflowId}:${seq}`, seq, report_type: type, correlation_id: askId, command_id: askId, workflow_id: workflowId,
    org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(), payload,
  });
}

async function openAsk(): Promise<string> {
  const askId = randomUUID();
  await store.append(report(askId, 2, 'ask_created', {
    ask_id: askId, risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} },
    action_digest: digest, options: ['approve', 'deny'], expires_at: new Date(Date.now() + 3_600_000).toISOString(),
  }));
  return askId;
}

async function resolve(askId: string, decidedBy: string, decision: 'approve' | 'deny'): Promise<void> {
  await store.append(report(askId, 3, 'ask_resolved', {
    ask_id: askId, decision, decided_by: decidedBy,
    decisions: [{ decided_by: decidedBy, decision, decided_at: new Date().toISOString(), action_digest: digest }],
  }));
}

/** The end a command stopped in Temporal gets on its stream (api/temporal/closed-commands.ts), or a deny's. */
async function cancel(askId: string, seq: number): Promise<void> {
  await store.append(report(askId, seq, 'task_cancelled', { reason: 'stopped outside NEXUS', ask_id: askId }));
}

describe('the ask index', () => {
  it('keeps every open ask of a command (a plan\'s asks wait together), each leaving as it is closed', async () => {
    const commandId = randomUUID();
    const workflowId = `nexus/${tenant.org_id}/${tenant.project_id}/${commandId}`;
    const [a, b] = [randomUUID(), randomUUID()].sort() as [string, string];
    const of = (seq: number, type: 'ask_created' | 'ask_resolved', payload: Record<string, unknown>) => Report.parse({
      report_id: `${workflowId}:${seq}`, seq, report_type: type, correlation_id: commandId, command_id: commandId, workflow_id: workflowId,
      org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(), payload,
    });
    for (const [seq, askId] of [[1, a], [2, b]] as const) {
      await store.append(of(seq, 'ask_created', {
        ask_id: askId, risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} },
        action_digest: digest, options: ['approve', 'deny'], expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      }));
    }
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 2, terminal: false, openAsks: [a, b] });
    // The latest ask resolved first: the earlier one is still known open.
    await store.append(of(3, 'ask_resolved', { ask_id: b, decision: 'approve', decided_by: 'kim' }));
    expect((await store.progress(tenant, workflowId))?.openAsks).toEqual([a]);
    await store.append(of(4, 'ask_resolved', { ask_id: a, decision: 'deny', decided_by: 'nexus', withdrawn: true }));
    expect((await store.progress(tenant, workflowId))?.openAsks).toEqual([]);
    expect((await index.claim(tenant, a, 'approve', digest, new Date(), 'lee')).outcome).toBe('not_pending');
  });

  it('closes an ask whose command ended with it open, and keeps it with the command\'s progress until then', async () => {
    const askId = await openAsk();
    const workflowId = `nexus/${tenant.org_id}/${tenant.project_id}/${askId}`;
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 2, terminal: false, openAsks: [askId] });
    // Even an approver's claim in flight: no decision can count once the command has ended.
    expect((await index.claim(tenant, askId, 'approve', digest, new Date(), 'kim')).outcome).toBe('ok');
    await cancel(askId, 3);
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 3, terminal: true, openAsks: [] });
    await index.release(tenant, askId, 'pending', 'kim');
    expect((await index.claim(tenant, askId, 'approve', digest, new Date(), 'kim')).outcome).toBe('closed');
    expect((await index.claim(tenant, askId, 'deny', digest, new Date(), 'lee')).outcome).toBe('closed');
  });

  it('leaves a settled ask as it was when the command ends after it (a deny)', async () => {
    const askId = await openAsk();
    await resolve(askId, 'kim', 'deny');
    expect((await store.progress(tenant, `nexus/${tenant.org_id}/${tenant.project_id}/${askId}`))?.openAsks).toEqual([]);
    await cancel(askId, 4);
    const late = await index.claim(tenant, askId, 'approve', digest, new Date(), 'lee');
    expect(late.outcome).toBe('not_pending');
    expect(late.settled).toEqual({ decision: 'deny', decidedBy: 'kim' });
  });

  it('answers a retry of a decision that counted as counted, even after the API gave the claim back', async () => {
    const askId = await openAsk();
    expect((await index.claim(tenant, askId, 'approve', digest, new Date(), 'kim')).outcome).toBe('ok');
    // The API waited for Temporal in vain and answered 503: the claim is given back and kim forgotten...
    await index.release(tenant, askId, 'pending', 'kim');
    // ...but the update landed when the worker came back, and the bridge recorded the outcome.
    await resolve(askId, 'kim', 'approve');

    expect((await index.claim(tenant, askId, 'approve', digest, new Date(), 'kim')).outcome).toBe('counted');
    // Only the same decision on the same action counts as a retry.
    expect((await index.claim(tenant, askId, 'deny', digest, new Date(), 'kim')).outcome).toBe('not_pending');
    expect((await index.claim(tenant, askId, 'approve', `sha256:${'b'.repeat(64)}`, new Date(), 'kim')).outcome).toBe('not_pending');
    const other = await index.claim(tenant, askId, 'approve', digest, new Date(), 'lee');
    expect(other.outcome).toBe('not_pending');
    expect(other.settled).toEqual({ decision: 'approve', decidedBy: 'kim' });
  });

  it('sends a retry again (same attempt) while the first delivery is still in flight, and busies everyone else', async () => {
    const askId = await openAsk();
    const first = await index.claim(tenant, askId, 'approve', digest, new Date(), 'kim');
    expect(first.outcome).toBe('ok');
    const retry = await index.claim(tenant, askId, 'approve', digest, new Date(), 'kim');
    expect(retry).toMatchObject({ outcome: 'retry', attempt: first.attempt });
    expect((await index.claim(tenant, askId, 'deny', digest, new Date(), 'lee')).outcome).toBe('busy');
  });
});
