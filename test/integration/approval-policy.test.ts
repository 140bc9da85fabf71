import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'finance' };
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-approval-policy-'));
mkdirSync(join(policyDir, 'acme'));
writeFileSync(join(policyDir, 'acme', 'finance.json'), JSON.stringify({
  rules: [],
  approval: { quorum: { external_share: 2 }, separation_of_duties: true, reminder_before: '7s', escalate_before: '4s' },
}));
const receiver = new WebhookReceiver();
const env = isolatedEnv('approval', { NEXUS_POLICY_DIR: policyDir, NEXUS_ASK_TIMEOUT: '10s' });
let nexus: RunningNexus;
let hook: string;

beforeAll(async () => {
  hook = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hook).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
});
afterAll(async () => {
  await nexus?.stop();
  await receiver.stop();
  await cleanupEnv(env);
});

const as = (user: string) => ({ 'x-user-id': user });
async function share(label: string, requester: string) {
  const correlationId = `${label}-${Date.now()}`;
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url: `${hook}/${label}`, payload: { n: 1 } }, correlation_id: correlationId }, tenant, as(requester));
  expect(res.status).toBe(202);
  const ask = (await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created')))
    .find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
  if (!ask) throw new Error('no ask');
  const decide = (user: string, decision: 'approve' | 'deny', reason?: string) =>
    post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { action_digest: ask.payload.action_digest, decision, ...(reason ? { reason } : {}) }, tenant, as(user));
  return { correlationId, stream, ask, decide };
}
const delivered = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);
const byType = <T extends Report['report_type']>(rs: Report[], t: T) => rs.filter((r): r is ReportOf<T> => r.report_type === t);

describe('approval policy', () => {
  it('needs two distinct approvers (M-of-N) and runs once after the second', async () => {
    const { correlationId, stream, ask, decide } = await share('quorum', 'carol');
    expect(ask.payload).toMatchObject({ quorum: 2, separation_of_duties: true });
    expect((await decide('alice', 'approve', 'looks right')).status).toBe(202);
    await stream.waitFor((rs) => byType(rs, 'task_progress').some((r) => r.payload.ask?.stage === 'approval'));
    // Alice again, the same decision: a retry, answered like the first time, and counted once (see below).
    expect((await decide('alice', 'approve')).status).toBe(202);
    expect((await decide('alice', 'deny')).status).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect(delivered(correlationId)).toHaveLength(0);
    expect((await decide('bob', 'approve')).status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'));
    stream.close();
    const resolved = byType(reports, 'ask_resolved')[0];
    expect(resolved?.payload.decided_by).toBe('alice, bob');
    expect(resolved?.payload.decisions?.map((d) => [d.decided_by, d.decision, d.action_digest])).toEqual([
      ['alice', 'approve', ask.payload.action_digest],
      ['bob', 'approve', ask.payload.action_digest],
    ]);
    expect(delivered(correlationId)).toHaveLength(1);
  });

  it('ends on any deny, even after one approval: nothing runs', async () => {
    const { correlationId, stream, decide } = await share('deny-after-one', 'carol');
    expect((await decide('alice', 'approve')).status).toBe(202);
    await stream.waitFor((rs) => byType(rs, 'task_progress').some((r) => r.payload.ask?.stage === 'approval'));
    expect((await decide('bob', 'deny', 'wrong recipient')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'));
    expect((await decide('dave', 'approve')).status).toBe(409);
    stream.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(delivered(correlationId)).toHaveLength(0);
  });

  it('refuses the requester as an approver (separation of duties) with 403', async () => {
    const { stream, decide } = await share('sod', 'carol');
    const self = await decide('carol', 'approve');
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('forbidden');
    // The refusal consumed nothing: two others can still approve.
    expect((await decide('alice', 'approve')).status).toBe(202);
    expect((await decide('bob', 'approve')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'));
    stream.close();
  });

  it('reminds, escalates, then expires (automatic deny) when nobody decides', async () => {
    const { correlationId, stream } = await share('chain', 'carol');
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'expiry');
    stream.close();
    const stages = byType(reports, 'task_progress').map((r) => r.payload.ask?.stage);
    expect(stages).toEqual(['reminder', 'escalation']);
    expect(reports.slice(-2).map((r) => r.report_type)).toEqual(['ask_expired', 'task_cancelled']);
    expect(delivered(correlationId)).toHaveLength(0);
  });
});
