import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor, type Report } from '../../contracts/index.js';
import { loadConfig } from '../../runtime/config/load-config.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { isolatedEnv, post, REDIS_URL, type RunningNexus } from '../support/nexus-under-test.js';
import { bootSharingNexus, type SharingNexus } from '../support/sharing-nexus.js';
import { auditEntries } from '../support/audit-entries.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';

/**
 * Re-run from NEXUS: `POST /commands/{command_id}/rerun` starts a new command with the original's request, read back
 * from Temporal (never taken from the caller), under the caller's name, assessed and approved anew.
 */
const tenant = { org_id: 'acme', project_id: 'rerun' };
const env = isolatedEnv('rerun');
let world: SharingNexus;
let nexus: RunningNexus;
let redis: Redis;
let keys: RedisKeys;

beforeAll(async () => {
  world = await bootSharingNexus(env);
  nexus = world.nexus;
  redis = new Redis(REDIS_URL);
  keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await world?.stop();
});

const rerun = (commandId: string, body?: unknown, t = tenant) => post(nexus.baseUrl, `/commands/${encodeURIComponent(commandId)}/rerun`, body ?? {}, t, { 'x-user-id': 'operator-kim' });
const ended = (rs: Report[]) => rs.some((r) => ['task_completed', 'task_failed', 'task_cancelled'].includes(r.report_type));

async function runEcho(label: string, params: Record<string, unknown>) {
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: label });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params, command_id: label, correlation_id: label }, tenant, { 'x-user-id': 'teacher-first' });
  expect(res.status).toBe(202);
  await stream.waitFor(ended, 30_000, `${label} to end`);
  stream.close();
}

describe('re-running a command from NEXUS', () => {
  it('starts a new command with the same request, under the caller, marked rerun_of; a retried re-run with its command_id starts nothing new', async () => {
    const original = `orig-${Date.now()}`;
    await runEcho(original, { hello: 'again', n: 7 });

    const again = `again-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: again });
    const res = await rerun(original, { command_id: again, correlation_id: again });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', command_id: again, correlation_id: again, workflow_id: workflowIdFor(tenant, again) });
    const reports = await stream.waitFor(ended, 30_000, 'the re-run to end');
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect(reports[0]?.payload).toMatchObject({ type: 'agent.run', agent: 'echo', requested_by: 'operator-kim', rerun_of: original });
    const completed = reports[2];
    expect(completed?.report_type === 'task_completed' && completed.payload.result).toEqual({ hello: 'again', n: 7 });

    // The same new command_id again: the same 202, no second workflow, no second set of reports.
    const retried = await rerun(original, { command_id: again, correlation_id: again });
    expect(retried.status).toBe(202);
    expect(retried.body.workflow_id).toBe(workflowIdFor(tenant, again));
    // That command_id for another original is a conflict, not a silent reuse.
    const other = `other-${Date.now()}`;
    await runEcho(other, { different: true });
    const conflict = await rerun(other, { command_id: again });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
    stream.close();
    expect(stream.reports.filter((r) => r.report_type === 'command_accepted')).toHaveLength(1);

    const audited = (await auditEntries(redis, keys, tenant.org_id)).filter((e) => e.event === 'rerun');
    expect(audited.map((e) => [e.principal, e.status, e.correlation_id ?? ''])).toEqual(expect.arrayContaining([
      ['operator-kim', '202', again], ['operator-kim', '409', again],
    ]));
  });

  it('asks again for a RED command: the re-run of an approved share delivers nothing until a new approval', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl: world.hookUrl, label: 'rerun-share', headers: { 'x-user-id': 'teacher-first' } });
    const approved = await post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(approved.status).toBe(202);
    await share.stream.waitFor(ended, 30_000, 'the approved share to complete');
    share.stream.close();
    const firstRuns = world.receiver.deliveries.length;

    const again = `rerun-share-again-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: again });
    const res = await rerun(share.workflowId.split('/').pop() ?? '', { command_id: again, correlation_id: again });
    expect(res.status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'the re-run\'s own ask');
    const ask = reports.find((r) => r.report_type === 'ask_created');
    // The same action as the first time (the digest covers agent and params), waiting for a decision of its own.
    expect(ask?.report_type === 'ask_created' && ask.payload.action_digest).toBe(share.ask.payload.action_digest);
    expect(ask?.report_type === 'ask_created' && ask.payload.ask_id).not.toBe(share.ask.payload.ask_id);
    expect(world.receiver.deliveries.length).toBe(firstRuns);
    // The first ask is settled: another approval of it does nothing for the re-run.
    const stale = await post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-choi' });
    expect(stale.status).toBe(409);
    const cancelled = await post(nexus.baseUrl, `/commands/${again}/cancel`, {}, tenant);
    expect(cancelled.status).toBe(202);
    await stream.waitFor(ended, 30_000, 'the re-run to be cancelled');
    stream.close();
    expect(world.receiver.deliveries.length).toBe(firstRuns);
  });

  it('re-runs with changed params: merged over the original\'s, checked like a new command\'s, and named on command_accepted', async () => {
    const original = `changed-${Date.now()}`;
    await runEcho(original, { hello: 'again', n: 7 });
    const again = `${original}-n8`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: again });
    // `hello` is given its own value: not a change, and not named as one.
    const res = await rerun(original, { command_id: again, correlation_id: again, params: { n: 8, hello: 'again', extra: ['x'] } });
    expect(res.status).toBe(202);
    const reports = await stream.waitFor(ended, 30_000, 'the changed re-run to end');
    stream.close();
    expect(reports[0]?.payload).toMatchObject({ rerun_of: original, rerun_changes: ['extra', 'n'], requested_by: 'operator-kim' });
    const completed = reports.find((r) => r.report_type === 'task_completed');
    expect(completed?.report_type === 'task_completed' && completed.payload.result).toEqual({ hello: 'again', n: 7 + 1, extra: ['x'] });
    // A re-run without changes says none.
    const same = `${original}-same`;
    const sameStream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: same });
    expect((await rerun(original, { command_id: same, correlation_id: same, params: { n: 7 } })).status).toBe(202);
    const sameReports = await sameStream.waitFor(ended, 30_000, 'the unchanged re-run to end');
    sameStream.close();
    expect(sameReports[0]?.payload).toMatchObject({ rerun_of: original });
    expect(sameReports[0]?.payload).not.toHaveProperty('rerun_changes');
  });

  it('changes to a RED command are a new action: refused when invalid, asked anew when not, and nothing is delivered on the old approval', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl: world.hookUrl, label: 'rerun-changed-share', headers: { 'x-user-id': 'teacher-first' } });
    const approved = await post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(approved.status).toBe(202);
    await share.stream.waitFor(ended, 30_000, 'the approved share to complete');
    share.stream.close();
    const delivered = world.receiver.deliveries.length;
    const shareId = share.workflowId.split('/').pop() ?? '';

    const invalid = await rerun(shareId, { command_id: `${shareId}-bad`, params: { url: 'not a url' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_params');
    expect(invalid.body.error.issues.map((i: { path: string }) => i.path)).toContain('params.url');

    const again = `${shareId}-more`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: again });
    const res = await rerun(shareId, { command_id: again, correlation_id: again, params: { payload: { grades: 'all of them' } } });
    expect(res.status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'the changed re-run\'s ask');
    expect(reports[0]?.payload).toMatchObject({ rerun_of: shareId, rerun_changes: ['payload'] });
    const ask = reports.find((r) => r.report_type === 'ask_created');
    expect(ask?.report_type === 'ask_created' && ask.payload.action.params).toMatchObject({ payload: { grades: 'all of them' } });
    expect(ask?.report_type === 'ask_created' && ask.payload.action_digest).not.toBe(share.ask.payload.action_digest);
    // The first approval's digest is for the first action: presented for the new ask, it decides nothing.
    const replayed = await post(nexus.baseUrl, `/approvals/${ask?.report_type === 'ask_created' ? ask.payload.ask_id : ''}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(replayed.status).toBe(409);
    expect(world.receiver.deliveries.length).toBe(delivered);
    expect((await post(nexus.baseUrl, `/commands/${again}/cancel`, {}, tenant)).status).toBe(202);
    await stream.waitFor(ended, 30_000, 'the changed re-run to be cancelled');
    stream.close();
    expect(world.receiver.deliveries.length).toBe(delivered);
  });

  it('refuses to change the params of an instruction', async () => {
    const original = `said-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: original });
    expect((await post(nexus.baseUrl, '/sidecar/command', { type: 'instruction', text: 'share the grades', command_id: original, correlation_id: original }, tenant)).status).toBe(202);
    await stream.waitFor(ended, 30_000, 'the instruction to end (no LLM here)');
    stream.close();
    const res = await rerun(original, { params: { url: 'http://evil.example/x' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', issues: [{ path: 'params' }] });
  });

  it('refuses what is not this tenant\'s command, a request smuggled in the body, and a workflow planted in Temporal under a command\'s id', async () => {
    const original = `guarded-${Date.now()}`;
    await runEcho(original, { secret: 'acme-only' });

    expect((await rerun(`nope-${Date.now()}`)).status).toBe(404);
    // Another tenant naming this command_id derives another workflow id: nothing to re-run there.
    const foreign = await rerun(original, {}, { org_id: 'globex', project_id: 'rerun' });
    expect(foreign.status).toBe(404);
    // The request is the original's, never the caller's: a body with one is refused, and nothing starts.
    const smuggled = await rerun(original, { type: 'agent.run', agent: 'external_share', params: { url: 'http://evil.example/x', payload: {} } });
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.error.code).toBe('invalid_request');
    expect((await rerun(original, 'not an object')).status).toBe(400);

    // Someone on Temporal's port starts a "command" under a derived id with a plaintext request of their choosing.
    const config = loadConfig(env);
    const connection = await Connection.connect({ address: config.temporal.address });
    const planted = `planted-${Date.now()}`;
    try {
      const plain = new Client({ connection, namespace: config.temporal.namespace });
      await plain.workflow.start('commandWorkflow', {
        workflowId: workflowIdFor(tenant, planted),
        taskQueue: `nowhere-${planted}`,
        args: [{ tenant, command_id: planted, correlation_id: planted, workflow_id: workflowIdFor(tenant, planted), request: { type: 'agent.run', agent: 'external_share', params: { url: 'http://evil.example/x', payload: {} } }, received_at: new Date().toISOString(), requested_by: 'mallory', settings: {} }],
      });
      const res = await rerun(planted, { command_id: `${planted}-again` });
      expect(res.status).toBe(404);
      await plain.workflow.getHandle(workflowIdFor(tenant, planted)).terminate('test over');
    } finally {
      await connection.close();
    }
    const audited = (await auditEntries(redis, keys, tenant.org_id)).filter((e) => e.event === 'rerun' && e.status === '404');
    // The unknown and the planted one, in this org's log (the foreign attempt is in globex's).
    expect(audited).toHaveLength(2);
  });
});
