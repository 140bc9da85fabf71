import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../infra/store/audit-log.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { WindowCounter } from '../../infra/store/window-counter.js';
import { REFUSAL_WINDOW_MS } from '../../infra/store/refusal-budget.js';
import { until } from '../support/until.js';
import { DECISION_REFUSALS_PER_WORKFLOW_PER_MIN } from '../../runtime/start-nexus.js';
import { DecisionSeal } from '../../infra/trust/decision-seal.js';
import { loadConfig } from '../../runtime/config/load-config.js';
import type { ReportOf } from '../../contracts/index.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { createLogger } from '../../infra/logger.js';
import { decideUpdate } from '../../workflows/messages.js';
import { sendShare } from '../support/red-share.js';
import type { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, temporalClient, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const run = promisify(execFile);
const tenant = { org_id: 'acme', project_id: 'trust' };
const receiver = new WebhookReceiver();
const env = isolatedEnv('trust');
let hookUrl: string;
let nexus: RunningNexus;
let temporal: Client;
let redis: Redis;
let audit: AuditLog;
let cli: string;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
  temporal = await temporalClient(env);
  redis = new Redis(REDIS_URL);
  audit = new AuditLog(redis, env.NEXUS_REDIS_PREFIX ?? '', createLogger('silent'));
  cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH, createLogger('silent'));
});
afterAll(async () => {
  await nexus?.stop();
  await temporal?.connection.close();
  await redis?.quit();
  await receiver.stop();
  await cleanupEnv(env);
});

const shareAsking = (label: string) =>
  sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label, payload: { grades: ['secret-grade-A+'], label }, headers: { 'x-user-id': 'teacher-requester' } });

async function nextAsk(stream: SseRecorder, index: number): Promise<ReportOf<'ask_created'>> {
  const reports = await stream.waitFor((rs) => rs.filter((r) => r.report_type === 'ask_created').length > index, 20_000, `ask #${index + 1}`);
  const ask = reports.filter((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created')[index];
  if (!ask) throw new Error('no ask');
  return ask;
}

const deliveriesFor = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);
const settle = () => new Promise((r) => setTimeout(r, 1500));
const refusals = async (workflowId: string) =>
  (await audit.read(tenant.org_id)).filter((e) => e.event === 'decision_refused' && e.workflow_id === workflowId);
const decide = (askId: string, body: Record<string, unknown>, user: string) =>
  post(nexus.baseUrl, `/approvals/${askId}/decide`, body, tenant, { 'x-user-id': user });

describe('the trust boundary: only decisions the NEXUS API authorized count', () => {
  it('a decide sent with the Temporal CLI, declaring its own roles, is refused before Temporal records it', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking('cli-forgery');
    const forged = JSON.stringify({
      ask_id: ask.payload.ask_id, decision: 'approve', decided_by: 'mallory', roles: ['approver', 'admin'],
      tenant, action_digest: ask.payload.action_digest, decided_at: new Date().toISOString(),
    });
    const attempt = run(cli, ['workflow', 'update', 'execute', '--address', env.TEMPORAL_ADDRESS ?? '', '--workflow-id', workflowId, '--name', 'decide', '--input', forged]);
    // Without the payload key the CLI's argument is plaintext: refused for that before any proof is looked at.
    await expect(attempt).rejects.toThrow(/not encrypted with a NEXUS payload key/);
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created']);
    // The update's validator refuses it, so it is neither in the history nor worth an audit entry.
    expect(await refusals(workflowId)).toEqual([]);
    const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);

    // The legitimate approver still decides through the API, and that decision is audited as verified.
    expect((await decide(ask.payload.ask_id, { decision: 'approve', action_digest: ask.payload.action_digest }, 'principal-park')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    expect(deliveriesFor(correlationId)).toHaveLength(1);
    const verified = (await audit.read(tenant.org_id)).filter((e) => e.event === 'decision_verified' && e.workflow_id === workflowId);
    expect(verified).toEqual([expect.objectContaining({ principal: 'principal-park', decision: 'approve' })]);
    stream.close();
  });

  it('refuses forged, altered, foreign, stale and replayed proofs; nothing runs and each refusal that needed the key is audited', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking('proofs');
    const config = loadConfig(env);
    const seal = new DecisionSeal(config.trust.decisionKeys ?? [], config.trust.decisionMaxAgeMs);
    const wrongKey = new DecisionSeal([{ id: 'test-decision', key: Buffer.alloc(32, 7) }], 60_000);
    const unsigned = {
      ask_id: ask.payload.ask_id, workflow_id: workflowId, tenant, decision: 'approve' as const,
      action_digest: ask.payload.action_digest, decided_by: 'mallory', roles: ['approver'], decided_at: new Date().toISOString(),
    };
    const good = seal.sign(unsigned);
    const attempts: Array<[string, unknown]> = [
      ['decision_forged', wrongKey.sign(unsigned)],
      ['decision_forged', { ...good, roles: ['approver', 'admin'] }],
      ['decision_forged', { ...good, decided_by: 'someone-else' }],
      ['decision_foreign', seal.sign({ ...unsigned, workflow_id: `${workflowId}-other` })],
      ['decision_stale', seal.sign(unsigned, new Date(Date.now() - 10 * 60_000))],
      ['decision_key_unknown', { ...good, proof: { ...good.proof, key_id: 'retired' } }],
    ];
    const handle = temporal.workflow.getHandle(workflowId);
    for (const [, forged] of attempts) {
      await expect(handle.executeUpdate(decideUpdate, { args: [forged as never] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    }
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    // A proof for another workflow is refused by the validator, unrecorded; the others needed the key to tell.
    expect((await refusals(workflowId)).map((e) => e.code)).toEqual(attempts.map(([code]) => code).filter((code) => code !== 'decision_foreign'));

    // A proof made with the real key is what the API sends: it counts (here a deny), and once the ask is closed no
    // other proof, however valid, revives it.
    const accepted = await handle.executeUpdate(decideUpdate, { args: [seal.sign({ ...unsigned, decision: 'deny', decided_by: 'principal-park' })] });
    expect(accepted).toEqual({ accepted: true, final: true });
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'task_cancelled');
    await expect(handle.executeUpdate(decideUpdate, { args: [good] })).rejects.toThrow();
    await settle();
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    stream.close();
  });

  it('a flood of forged decisions costs the org\'s audit a bounded number of entries, and every one is counted', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking('flood');
    const wrongKey = new DecisionSeal([{ id: 'test-decision', key: Buffer.alloc(32, 9) }], 60_000);
    const handle = temporal.workflow.getHandle(workflowId);
    const FLOOD = 25;
    // The budget counts per minute: the flood is sent well inside one window, so its counts are one window's.
    await until(async () => Date.now() % REFUSAL_WINDOW_MS < 40_000, REFUSAL_WINDOW_MS, 'a minute window with time left for the flood');
    for (let i = 0; i < FLOOD; i++) {
      const forged = wrongKey.sign({
        ask_id: ask.payload.ask_id, workflow_id: workflowId, tenant, decision: 'approve', action_digest: ask.payload.action_digest,
        decided_by: `made-up-${i}`, roles: ['approver'], decided_at: new Date().toISOString(),
      });
      await expect(handle.executeUpdate(decideUpdate, { args: [forged] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    }
    const entries = (await audit.read(tenant.org_id)).filter((e) => e.workflow_id === workflowId || e.principal === workflowId);
    expect(entries.filter((e) => e.event === 'decision_refused')).toHaveLength(DECISION_REFUSALS_PER_WORKFLOW_PER_MIN);
    expect(entries.filter((e) => e.event === 'refusals_limited')).toEqual([expect.objectContaining({ principal: workflowId, principal_kind: 'workflow', limit: String(DECISION_REFUSALS_PER_WORKFLOW_PER_MIN) })]);
    // Past the budget each refusal is still counted, for the window's summary entry.
    const windows = new WindowCounter(redis);
    expect(await windows.peek(new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '').refusals(`decisions-wf:${workflowId}`))).toBe(FLOOD);

    // The flood changed nothing for the approver.
    expect((await decide(ask.payload.ask_id, { decision: 'approve', action_digest: ask.payload.action_digest }, 'principal-park')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    expect(deliveriesFor(correlationId)).toHaveLength(1);
    stream.close();
  });

  it('an update sent ahead under a guessable update id cannot block the approver\'s real decision', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking('update-id');
    const handle = temporal.workflow.getHandle(workflowId);
    const junk = { ask_id: ask.payload.ask_id, decision: 'approve', decided_by: 'approver-kim', roles: ['approver'] };
    // Ids an attacker could guess from what the stream shows: if the API used one, Temporal would hand the
    // approver this cached refusal instead of running their decision.
    for (const updateId of [`${ask.payload.ask_id}:approver-kim:approve`, `${ask.payload.ask_id}:approver-kim`, ask.payload.ask_id]) {
      await expect(handle.executeUpdate(decideUpdate, { args: [junk as never], updateId })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    }
    expect((await decide(ask.payload.ask_id, { decision: 'approve', action_digest: ask.payload.action_digest }, 'approver-kim')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    expect(deliveriesFor(correlationId)).toHaveLength(1);
    stream.close();
  });

  it('an approver who edits the action opens a new ask that they may not approve; a second approver runs exactly the edit', async () => {
    const { correlationId, stream, ask } = await shareAsking('edit');
    const editedUrl = `${hookUrl}/hook/${correlationId}-edited`;
    const edit = await decide(ask.payload.ask_id, {
      decision: 'approve', action_digest: ask.payload.action_digest, params: { url: editedUrl, payload: { grades: ['everything'] } },
    }, 'approver-lee');
    expect(edit.status).toBe(202);
    const second = await nextAsk(stream, 1);
    const resolved = stream.reports.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved');
    expect(resolved?.payload).toMatchObject({ ask_id: ask.payload.ask_id, superseded_by_edit: true, edited_action_digest: second.payload.action_digest });
    expect(second.payload).toMatchObject({
      action: { agent: 'external_share', params: { url: editedUrl } },
      edited_from: { ask_id: ask.payload.ask_id, edited_by: 'approver-lee' },
      excluded_deciders: ['approver-lee'],
    });
    expect(second.payload.action_digest).not.toBe(ask.payload.action_digest);
    await settle();
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(0);

    const selfApproval = await decide(second.payload.ask_id, { decision: 'approve', action_digest: second.payload.action_digest }, 'approver-lee');
    expect(selfApproval.status).toBe(403);
    const stale = await decide(ask.payload.ask_id, { decision: 'approve', action_digest: ask.payload.action_digest }, 'approver-kim');
    expect(stale.status).toBe(409);
    expect((await decide(second.payload.ask_id, { decision: 'approve', action_digest: second.payload.action_digest }, 'approver-kim')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    await settle();
    const delivered = deliveriesFor(correlationId);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.body).toEqual({ grades: ['everything'] });
    stream.close();
  });

  it('audits every accepted command from its confirmed report, exactly once however often it is delivered', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking('audit-command');
    const started = (await audit.read(tenant.org_id)).filter((e) => e.event === 'command_started' && e.workflow_id === workflowId);
    expect(started).toEqual([expect.objectContaining({ principal: 'teacher-requester', correlation_id: correlationId, command_type: 'agent.run' })]);
    // A redelivered command_accepted (the bridge crashed before its ack) adds nothing.
    const accepted = stream.reports.find((r) => r.report_type === 'command_accepted');
    if (!accepted) throw new Error('no command_accepted');
    await audit.appendOnce(tenant.org_id, accepted.report_id, { event: 'command_started', principal: 'x', principal_kind: 'requester', correlation_id: correlationId, workflow_id: workflowId, project_id: tenant.project_id, command_type: 'agent.run' });
    expect((await audit.read(tenant.org_id)).filter((e) => e.event === 'command_started' && e.workflow_id === workflowId)).toHaveLength(1);
    expect((await decide(ask.payload.ask_id, { decision: 'deny', action_digest: ask.payload.action_digest }, 'approver-kim')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'task_cancelled');
    stream.close();
  });

  it('keeps params, decisions and results as ciphertext in Temporal; search attributes stay readable', async () => {
    const { correlationId, stream, ask, workflowId } = await shareAsking('cipher');
    expect((await decide(ask.payload.ask_id, { decision: 'approve', action_digest: ask.payload.action_digest, reason: 'reason-text-xyz' }, 'approver-kim')).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    // What an operator sees with the plain CLI (or the Web UI without the codec endpoint).
    const { stdout } = await run(cli, ['workflow', 'show', '--address', env.TEMPORAL_ADDRESS ?? '', '--workflow-id', workflowId, '--output', 'json']);
    const shown = decodedPayloads(JSON.parse(stdout));
    expect(shown).toContain('binary/encrypted');
    expect(shown).toContain('publishReports'); // the SDK's own marker data: proof that decoding works here
    for (const secret of ['secret-grade-A+', 'reason-text-xyz', 'approver-kim', '/hook/']) expect(shown).not.toContain(secret);
    const described = await run(cli, ['workflow', 'describe', '--address', env.TEMPORAL_ADDRESS ?? '', '--workflow-id', workflowId, '--output', 'json']);
    expect(decodedPayloads(JSON.parse(described.stdout))).toContain(correlationId);
    // With the payload keys (the API's client, or the codec endpoint) the same history reads in clear.
    const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events?.length).toBeGreaterThan(0);
    expect(await temporal.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'completed' });
    // The codec endpoint the Web UI calls turns the same ciphertext back into the command's input.
    const started = JSON.parse(stdout).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const cors = await fetch(`${nexus.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233' } });
    expect(cors.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const evil = await fetch(`${nexus.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const decoded = await post(nexus.baseUrl, '/codec/decode', { payloads: started }, tenant);
    expect(decoded.status).toBe(200);
    expect(Buffer.from(decoded.body.payloads[0].data, 'base64').toString()).toContain('secret-grade-A+');
    stream.close();
  });
});

/** Every base64 field of the CLI's JSON history, decoded: what someone with read access to Temporal can see. */
function decodedPayloads(value: unknown): string {
  if (typeof value === 'string') return /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64').toString('latin1') : '';
  if (Array.isArray(value)) return value.map(decodedPayloads).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(decodedPayloads).join('\n');
  return '';
}
