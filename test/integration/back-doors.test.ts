import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type ApplicationFailure, type Payload } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor, type ApproverNotice, type CommandInput, type Report, type RunAgentInput, type SignedStandingGrant } from '../../contracts/index.js';
import { createLogger } from '../../infra/logger.js';
import { deadLetterQueue } from '../../infra/messaging/report-topology.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { AesGcmPayloadCodec } from '../../infra/payload-codec.js';
import { REPORT_SEAL_HEADER, ReportSeal } from '../../infra/trust/report-seal.js';
import { AuditLog, SECURITY_LOG } from '../../infra/store/audit-log.js';
import { dataConverter } from '../../infra/temporal-options.js';
import { loadConfig } from '../../runtime/config/load-config.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { AMQP_URL, bootNexus, bundleWorkflows, cleanupEnv, isolatedEnv, post, REDIS_URL, temporalClient, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import type { RogueOrder, rogueCaller } from '../support/rogue-workflows/index.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The doors next to `decide`: whoever reaches Temporal's port (and, as an insider, holds the payload key) but no
 * NEXUS decision key. A rogue worker's workflow schedules the NEXUS worker's activities, a reset replays an
 * approved share, a shadow workflow claims another command's id. Every effect shows its authority where it
 * happens: nothing is delivered without an approval made for that very execution, and nothing is written onto
 * another command's stream or ask.
 */
const run = promisify(execFile);
const tenant = { org_id: 'acme', project_id: 'backdoor' };
const ROGUE = fileURLToPath(new URL('../support/rogue-workflows/index.ts', import.meta.url));
const receiver = new WebhookReceiver();
const env = isolatedEnv('backdoor');
let hookUrl: string;
let nexus: RunningNexus;
let insider: Client;
let outsider: Client;
let outsiderConnection: Connection;
let redis: Redis;
let audit: AuditLog;
let cli: string;
const rogueWorkers: Array<{ worker: Worker; running: Promise<void>; connection: NativeConnection }> = [];
const rogueQueue = { plain: `${env.TEMPORAL_TASK_QUEUE}-rogue-plain`, keyed: `${env.TEMPORAL_TASK_QUEUE}-rogue-keyed` };

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
  insider = await temporalClient(env);
  outsiderConnection = await Connection.connect({ address: env.TEMPORAL_ADDRESS ?? '' });
  outsider = new Client({ connection: outsiderConnection });
  redis = new Redis(REDIS_URL);
  audit = new AuditLog(redis, env.NEXUS_REDIS_PREFIX ?? '', createLogger('silent'));
  cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH, createLogger('silent'));
  // Somebody else's workers, on their own task queues: one speaks plaintext, one holds the payload key.
  const bundle = await bundleWorkflows(ROGUE);
  for (const [taskQueue, converter] of [[rogueQueue.plain, undefined], [rogueQueue.keyed, dataConverter(loadConfig(env).trust.payloadKeys ?? [])]] as const) {
    const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS ?? '' });
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, ...(converter ? { dataConverter: converter } : {}) });
    rogueWorkers.push({ worker, running: worker.run(), connection });
  }
}, 120_000);
afterAll(async () => {
  for (const workflowId of started) await outsider?.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
  for (const rogue of rogueWorkers) {
    rogue.worker.shutdown();
    await rogue.running;
    await rogue.connection.close();
  }
  await nexus?.stop();
  await insider?.connection.close();
  await outsiderConnection?.close();
  await redis?.quit();
  await receiver.stop();
  await cleanupEnv(env);
});

async function shareAsking(label: string) {
  const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label, payload: { grades: ['A+'], label }, headers: { 'x-user-id': 'teacher-requester' } });
  const decide = (decision: 'approve' | 'deny') =>
    post(nexus.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision, action_digest: share.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
  return { ...share, decide, approve: () => decide('approve') };
}

type Victim = Awaited<ReturnType<typeof shareAsking>>;

/** After the attack, the victim's approver decides through the API, and the command ends exactly as that says. */
async function endsAsDecided(victim: Victim, decision: 'approve' | 'deny'): Promise<void> {
  expect((await victim.decide(decision)).status).toBe(202);
  const end = decision === 'approve' ? 'task_completed' : 'task_cancelled';
  const reports = await victim.stream.waitFor((rs) => rs.some((r) => r.report_type === end), 20_000, `the share to end after ${decision}`);
  victim.stream.close();
  expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', ...(decision === 'approve' ? ['task_started'] : []), end]);
  expect(reports.find((r) => r.report_type === 'ask_resolved')?.payload).toMatchObject({ decision, decided_by: 'principal-park' });
  expect(deliveriesFor(victim.correlationId)).toHaveLength(decision === 'approve' ? 1 : 0);
}

const deliveriesFor = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);
const effects = async (org: string, workflowId: string) => (await audit.read(org)).filter((e) => e.event?.startsWith('effect_') && e.workflow_id === workflowId);

function rogueStep(workflowId: string, commandId: string, url: string, extra: Partial<RunAgentInput> = {}): RunAgentInput {
  return {
    agent: 'external_share', params: { url, payload: { stolen: true } }, workflow_id: workflowId, correlation_id: commandId, command_id: commandId,
    tenant, idempotency_key: `${commandId}:step-0`, progress_seq_base: -1, ...extra,
  };
}

/** Runs a rogue workflow to its end: the insider's worker holds the key, so it can read the NEXUS worker's answer. */
function rogue(client: Client, queue: string, workflowId: string, order: Omit<RogueOrder, 'taskQueue'>) {
  return client.workflow.execute<typeof rogueCaller>('rogueCaller', { taskQueue: queue, workflowId, args: [{ ...order, taskQueue: env.TEMPORAL_TASK_QUEUE ?? '' }] });
}

/**
 * Starts a rogue workflow without waiting for it: the plaintext worker cannot even read the NEXUS worker's
 * (encrypted) answer, so its workflow never ends; what happened is read from the audit, the stream and the
 * receiver, and the workflow is terminated after.
 */
async function rogueStart(workflowId: string, order: Omit<RogueOrder, 'taskQueue'>) {
  const handle = await outsider.workflow.start<typeof rogueCaller>('rogueCaller', { taskQueue: rogueQueue.plain, workflowId, args: [{ ...order, taskQueue: env.TEMPORAL_TASK_QUEUE ?? '' }] });
  started.push(handle.workflowId);
  return handle;
}
const started: string[] = [];

/** The scheduled input of the command's runAgent, read from its history as an insider with the payload key can. */
async function scheduledStep(workflowId: string): Promise<{ input: RunAgentInput; workflowTaskCompletedEventId: number }> {
  const history = await insider.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAgent')?.activityTaskScheduledEventAttributes;
  if (!scheduled) throw new Error('runAgent was never scheduled');
  const codec = new AesGcmPayloadCodec(loadConfig(env).trust.payloadKeys ?? []);
  const [payload] = await codec.decode((scheduled.input?.payloads ?? []) as Payload[]);
  return { input: defaultPayloadConverter.fromPayload<RunAgentInput>(payload as Payload), workflowTaskCompletedEventId: Number(scheduled.workflowTaskCompletedEventId) };
}

/** How a workflow failed, as its history says in clear (the failure type is not encrypted, its message is). */
async function failureTypeOf(workflowId: string): Promise<string | undefined> {
  const handle = outsider.workflow.getHandle(workflowId);
  await until(async () => (await handle.describe()).status.name !== 'RUNNING', 30_000, `${workflowId} to close`);
  const history = await handle.fetchHistory();
  const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
  return failed?.failure?.applicationFailureInfo?.type ?? undefined;
}

/** What Temporal recorded about updates and signals on a workflow: a refused one leaves no trace but a signal's own event. */
async function messagesIn(workflowId: string): Promise<string[]> {
  const history = await insider.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => [
    ...(e.workflowExecutionUpdateAcceptedEventAttributes ? ['update_accepted'] : []),
    ...(e.workflowExecutionSignaledEventAttributes ? [`signal:${e.workflowExecutionSignaledEventAttributes.signalName ?? ''}`] : []),
    ...(e.workflowTaskFailedEventAttributes ? ['workflow_task_failed'] : []),
  ]);
}

describe('no back doors: every side effect proves its approval where it happens', () => {
  it('a rogue worker without the payload key gets nothing it schedules on the NEXUS task queue read', async () => {
    const url = `${hookUrl}/hook/rogue-plain`;
    const before = receiver.deliveries.length;
    const commandId = `rogue-${Date.now()}`;
    const owned = workflowIdFor(tenant, commandId);
    await rogueStart(owned, { activity: 'runAgent', input: rogueStep(owned, commandId, url) });
    const reporter = `rogue-report-${Date.now()}`;
    await rogueStart(reporter, { activity: 'publishReports', input: [] });
    const refused = async () => (await audit.read(SECURITY_LOG)).filter((e) => e.event === 'payload_refused' && (e.workflow_id === owned || e.workflow_id === reporter));
    await until(async () => (await refused()).length === 2, 30_000, 'both activities to be refused for their plaintext input');
    expect(new Set((await refused()).map((e) => `${e.activity}:${e.reason}:${e.encoding}`))).toEqual(new Set(['runAgent:plaintext:json/plain', 'publishReports:plaintext:json/plain']));
    // Refused before any activity code ran: no effect was even assessed.
    expect(await effects(tenant.org_id, owned)).toEqual([]);
    expect(receiver.deliveries.length).toBe(before);
  });

  it('an insider with the payload key gets no RED work out of the NEXUS worker without an approval', async () => {
    const url = `${hookUrl}/hook/rogue-keyed`;
    const before = receiver.deliveries.length;
    // Its own id, named like a command of the tenant: RED by NEXUS's own assessment, and no approval.
    const commandId = `rogue-keyed-${Date.now()}`;
    const owned = workflowIdFor(tenant, commandId);
    expect(await rogue(insider, rogueQueue.keyed, owned, { activity: 'runAgent', input: rogueStep(owned, commandId, url) })).toEqual({ ok: false, code: 'effect_unapproved' });
    // An id of its own choosing: the step names a command that is not the workflow scheduling it.
    const free = `rogue-free-${Date.now()}`;
    expect(await rogue(insider, rogueQueue.keyed, free, { activity: 'runAgent', input: rogueStep(owned, commandId, url) })).toEqual({ ok: false, code: 'effect_foreign' });
    // Its own command, its progress reports named after another run: not a step that run scheduled.
    const otherRun = workflowIdFor(tenant, `${commandId}-run`);
    expect(await rogue(insider, rogueQueue.keyed, otherRun, { activity: 'runAgent', input: rogueStep(otherRun, `${commandId}-run`, url, { report_run: 'not-this-run' }) }))
      .toEqual({ ok: false, code: 'effect_foreign' });
    expect(await effects(tenant.org_id, owned)).toEqual([expect.objectContaining({ event: 'effect_refused', activity: 'runAgent', agent: 'external_share', code: 'effect_unapproved' })]);
    expect(await effects(SECURITY_LOG, free)).toEqual([expect.objectContaining({ event: 'effect_refused', code: 'effect_foreign' })]);
    expect(receiver.deliveries.length).toBe(before);
  });

  it('an insider with the payload key cannot reuse a real approval from another workflow', async () => {
    const victim = await shareAsking('copied');
    expect((await victim.approve()).status).toBe(202);
    await victim.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'the approved share');
    victim.stream.close();
    expect(deliveriesFor(victim.correlationId)).toHaveLength(1);
    const { input } = await scheduledStep(victim.workflowId);
    expect(input.approval && 'decisions' in input.approval ? input.approval.decisions : []).toHaveLength(1);

    // The copied step as it was, from the insider's own workflow: it names another command.
    const commandId = `insider-${Date.now()}`;
    const own = workflowIdFor(tenant, commandId);
    expect(await rogue(insider, rogueQueue.keyed, `${own}-a`, { activity: 'runAgent', input })).toEqual({ ok: false, code: 'effect_foreign' });
    // Rewritten to name the insider's own command: the approvals were signed for the victim's workflow.
    const rewritten = { ...input, workflow_id: own, command_id: commandId, correlation_id: commandId };
    expect(await rogue(insider, rogueQueue.keyed, own, { activity: 'runAgent', input: rewritten })).toEqual({ ok: false, code: 'approval_invalid' });
    expect(deliveriesFor(victim.correlationId)).toHaveLength(1);
    expect((await effects(tenant.org_id, victim.workflowId)).map((e) => e.event)).toEqual(['effect_authorized']);
    expect((await effects(tenant.org_id, own)).map((e) => e.code)).toEqual(['approval_invalid']);
  });

  it('a reset of an approved, delivered share does not deliver it again', async () => {
    const victim = await shareAsking('reset');
    expect((await victim.approve()).status).toBe(202);
    await victim.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'the approved share');
    victim.stream.close();
    const { workflowTaskCompletedEventId } = await scheduledStep(victim.workflowId);

    // The real CLI, as an operator (or anyone on Temporal's port) would: back to just before runAgent was scheduled.
    await run(cli, ['workflow', 'reset', '--address', env.TEMPORAL_ADDRESS ?? '', '--workflow-id', victim.workflowId, '--event-id', String(workflowTaskCompletedEventId), '--reason', 'replay the approval']);
    await until(async () => (await effects(tenant.org_id, victim.workflowId)).some((e) => e.code === 'approval_already_used'), 30_000, 'the reset run\'s step to be refused');
    expect(deliveriesFor(victim.correlationId)).toHaveLength(1);
    const audited = await effects(tenant.org_id, victim.workflowId);
    expect(audited.map((e) => [e.event, e.code ?? ''])).toEqual([['effect_authorized', ''], ['effect_refused', 'approval_already_used']]);
    // The refusal names the new run: Temporal's own account of who scheduled the step.
    const resetRun = audited[1]?.run_id ?? '';
    expect(resetRun).not.toBe(audited[0]?.run_id);
    // And the stream tells it: the reset run's reports carry its run id, so the bridge does not drop them as the
    // first run's duplicates, and the first run's reports stay as they were.
    const replay = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: victim.correlationId });
    const seen = await replay.waitFor((rs) => rs.some((r) => r.report_type === 'task_failed'), 20_000, 'the reset run\'s refusal on the stream');
    replay.close();
    const failed = seen.find((r) => r.report_type === 'task_failed');
    expect(failed?.payload).toMatchObject({ error: { code: 'approval_already_used' } });
    expect(failed?.report_id).toBe(`${victim.workflowId}:${failed?.seq}@${resetRun}`);
    const firstRun = seen.filter((r) => !r.report_id.includes('@'));
    expect(firstRun.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
    expect(new Set(seen.map((r) => r.report_id)).size).toBe(seen.length);
  });

  it('reports a rogue workflow makes the NEXUS worker publish cannot land on another command or settle its ask', async () => {
    const victim = await shareAsking('forged-report');
    const commandId = `rogue-reports-${Date.now()}`;
    const own = workflowIdFor(tenant, commandId);
    const deny = (workflowId: string, command: string, seq: number): Report => ({
      report_id: `${workflowId}:${seq}`, seq, report_type: 'ask_resolved', correlation_id: command, command_id: command, workflow_id: workflowId,
      org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(),
      payload: { ask_id: victim.ask.payload.ask_id, decision: 'deny', decided_by: 'mallory' },
    });
    // Under the victim's ids, from an insider's workflow (with the payload key): refused before anything is published.
    const underVictim = { ...deny(victim.workflowId, victim.correlationId, victim.ask.seq + 1), command_id: victim.workflowId.split('/').at(-1) ?? '' };
    expect(await rogue(insider, rogueQueue.keyed, own, { activity: 'publishReports', input: [underVictim] })).toEqual({ ok: false, code: 'effect_foreign' });
    expect(await effects(tenant.org_id, own)).toEqual([expect.objectContaining({ event: 'effect_refused', activity: 'publishReports', code: 'effect_foreign' })]);
    // The same through a command's first step (its opening reports and the assessment in one local activity), called
    // as a regular activity: the same check, before anything is published or assessed.
    const viaOpening = workflowIdFor(tenant, `${commandId}-opening`);
    const opening = { reports: [underVictim], tenant, action: { agent: 'echo', params: {} } };
    expect(await rogue(insider, rogueQueue.keyed, viaOpening, { activity: 'publishAndAssess', input: opening })).toEqual({ ok: false, code: 'effect_foreign' });
    expect(await effects(tenant.org_id, viaOpening)).toEqual([expect.objectContaining({ event: 'effect_refused', activity: 'publishAndAssess', code: 'effect_foreign' })]);
    // Under its own ids, naming the victim's ask: published as the rogue's own report, and the ask is not its to settle.
    const ownCommand = `${commandId}-own`;
    const ownId = workflowIdFor(tenant, ownCommand);
    const rogueStream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: ownCommand });
    // Its own command, under an id of another run: a report id belongs to the run that scheduled the publish.
    const otherRun = workflowIdFor(tenant, `${commandId}-run`);
    expect(await rogue(insider, rogueQueue.keyed, otherRun, { activity: 'publishReports', input: [{ ...deny(otherRun, `${commandId}-run`, 0), report_id: `${otherRun}:0@not-this-run` }] }))
      .toEqual({ ok: false, code: 'effect_foreign' });
    expect(await rogue(insider, rogueQueue.keyed, ownId, { activity: 'publishReports', input: [deny(ownId, ownCommand, 0)] })).toEqual({ ok: true });
    await rogueStream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_resolved'), 30_000, 'the rogue\'s own report');
    rogueStream.close();

    await endsAsDecided(victim, 'approve');
  });

  it('reports put on the exchange with RabbitMQ\'s default login reach no stream and settle no ask', async () => {
    const victim = await shareAsking('amqp-forgery');
    const commandId = victim.workflowId.split('/').at(-1) ?? '';
    const envelope = (seq: number) => ({
      report_id: `${victim.workflowId}:${seq}`, seq, correlation_id: victim.correlationId, command_id: commandId, workflow_id: victim.workflowId,
      org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(),
    });
    const approved: Report = { ...envelope(victim.ask.seq + 1), report_type: 'ask_resolved', payload: { ask_id: victim.ask.payload.ask_id, decision: 'approve', decided_by: 'mallory' } };
    const completed: Report = { ...envelope(victim.ask.seq + 3), report_type: 'task_completed', payload: { result: { sent: true }, risk_level: 'RED', duration_ms: 1 } };
    const keyId = loadConfig(env).trust.decisionKeys?.[0]?.id ?? '';
    const wrongKey = new ReportSeal([{ id: keyId, key: Buffer.alloc(32, 3) }]);
    // A real seal, lifted from another message NEXUS sealed, on a body of the attacker's.
    const lifted = new ReportSeal(loadConfig(env).trust.decisionKeys ?? []).sign(Buffer.from(JSON.stringify({ ...completed, seq: 0 })));
    const forgeries: Array<[string, Report, string | undefined]> = [
      ['report_unsigned', approved, undefined],
      ['report_forged', completed, wrongKey.sign(Buffer.from(JSON.stringify(completed)))],
      ['report_key_unknown', completed, `retired:${'A'.repeat(43)}`],
      ['report_forged', completed, lifted],
    ];
    // amqplib with the broker's default login, as anyone who can reach port 5672 on a default install can.
    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      for (const [, report, seal] of forgeries) {
        await new Promise<void>((resolve, reject) => channel.publish(env.NEXUS_REPORTS_EXCHANGE ?? '', `${tenant.org_id}.${tenant.project_id}.${report.report_type}`, Buffer.from(JSON.stringify(report)), {
          persistent: true, messageId: report.report_id, correlationId: report.correlation_id, ...(seal ? { headers: { [REPORT_SEAL_HEADER]: seal } } : {}),
        }, (err) => (err ? reject(err) : resolve())));
      }
      const refused = async () => (await audit.read(SECURITY_LOG)).filter((e) => e.event === 'report_refused' && e.claimed_report_id?.startsWith(victim.workflowId));
      await until(async () => (await refused()).length === forgeries.length, 30_000, 'every forged report to be refused');
      expect((await refused()).map((e) => e.code)).toEqual(forgeries.map(([code]) => code));
      const dlq = deadLetterQueue({ exchange: env.NEXUS_REPORTS_EXCHANGE ?? '', bridgeQueue: env.NEXUS_BRIDGE_QUEUE ?? '' });
      expect((await channel.checkQueue(dlq)).messageCount).toBeGreaterThanOrEqual(forgeries.length);
    } finally {
      await connection.close();
    }

    // The ask is still open: the real approver's deny is the decision that counts, and nothing was sent.
    await endsAsDecided(victim, 'deny');
  });

  it('a shadow workflow that claims another command\'s id in its input writes nothing onto that command', async () => {
    const victim = await shareAsking('shadow');
    const config = loadConfig(env);
    const commandId = victim.workflowId.split('/').at(-1) ?? '';
    const shadowInput: CommandInput = {
      tenant, command_id: commandId, correlation_id: victim.correlationId, workflow_id: victim.workflowId,
      request: { type: 'agent.run', agent: 'external_share', params: victim.ask.payload.action.params },
      received_at: new Date().toISOString(), requested_by: 'mallory',
      settings: {
        ask_timeout_ms: 1_000, agent_timeout_ms: config.workflow.agentTimeoutMs, agent_max_attempts: 1, agent_retry_interval_ms: 100, plan_revisions: 0,
        llm_timeout_ms: config.llm.timeoutMs, remote_heartbeat_timeout_ms: config.remote.heartbeatTimeoutMs, agent_heartbeat_timeout_ms: config.workflow.agentHeartbeatTimeoutMs,
      },
    };
    // The real CLI, without the payload key: the input is refused before the workflow runs a line.
    const plainId = `shadow-plain-${Date.now()}`;
    started.push(plainId);
    await run(cli, ['workflow', 'start', '--address', env.TEMPORAL_ADDRESS ?? '', '--task-queue', env.TEMPORAL_TASK_QUEUE ?? '', '--type', 'commandWorkflow', '--workflow-id', plainId, '--input', JSON.stringify(shadowInput)]);
    expect(await failureTypeOf(plainId)).toBe('payload_refused');
    // An insider with the payload key gets the workflow to run: its reports name another command, and are refused.
    const shadowId = `shadow-${Date.now()}`;
    started.push(shadowId);
    await insider.workflow.start('commandWorkflow', { taskQueue: env.TEMPORAL_TASK_QUEUE ?? '', workflowId: shadowId, args: [shadowInput] });
    await until(async () => (await effects(SECURITY_LOG, shadowId)).length > 0, 30_000, 'the shadow\'s reports to be refused');
    // Its first reports go out with its first assessment (publishAndAssess), under the same check.
    expect((await effects(SECURITY_LOG, shadowId))[0]).toMatchObject({ event: 'effect_refused', activity: 'publishAndAssess', code: 'effect_foreign' });

    await endsAsDecided(victim, 'approve');
  });
  it('a rogue workflow cannot have NEXUS send anyone an approval link: not for another command, nor for its ask', async () => {
    const victim = await shareAsking('rogue-notice');
    const commandId = victim.workflowId.split('/').at(-1) ?? '';
    const notice = (workflowId: string, command: string): ApproverNotice => ({
      tenant, correlation_id: victim.correlationId, workflow_id: workflowId, command_id: command, ask_id: victim.ask.payload.ask_id, stage: 'ask',
      target: { target: '0123456789abcdef', channel: 'webhook', approver: 'principal-park', stages: ['ask'] },
    });
    // Naming the victim command from a workflow of its own: refused before anything is read.
    const foreignId = `rogue-notice-${Date.now()}`;
    started.push(foreignId);
    expect(await rogue(insider, rogueQueue.keyed, foreignId, { activity: 'notifyApprover', input: notice(victim.workflowId, commandId) })).toEqual({ ok: false, code: 'effect_foreign' });
    // A workflow whose id looks like a command of the tenant, naming itself, and the victim's ask: the ask is not its own.
    const lookalike = workflowIdFor(tenant, `rogue-${Date.now()}`);
    started.push(lookalike);
    expect(await rogue(insider, rogueQueue.keyed, lookalike, { activity: 'notifyApprover', input: notice(lookalike, lookalike.split('/').at(-1) ?? '') })).toEqual({ ok: false, code: 'effect_foreign' });
    expect((await effects(tenant.org_id, lookalike)).map((e) => [e.activity, e.code])).toEqual([['notifyApprover', 'effect_foreign']]);
    // No link was made for the victim's ask.
    expect((await audit.read(tenant.org_id)).filter((e) => e.event === 'link_issued' && e.ask_id === victim.ask.payload.ask_id)).toEqual([]);

    await endsAsDecided(victim, 'deny');
  });

  it('a decision sent to Temporal without the payload key is refused by the validator, and Temporal records nothing', async () => {
    const victim = await shareAsking('plain-update');
    const forged = { ask_id: victim.ask.payload.ask_id, decision: 'approve', decided_by: 'mallory', action_digest: victim.ask.payload.action_digest, roles: ['approver'], proof: { nonce: 'n', signed_at: new Date().toISOString(), key_id: 'k', mac: 'x' } };
    const refusal = await outsider.workflow.getHandle(victim.workflowId).executeUpdate('decide', { args: [forged] }).then(() => undefined, (err: unknown) => err);
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refusal as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('payload_refused');
    expect(await messagesIn(victim.workflowId)).toEqual([]);
    // Refused before any proof was looked at: nothing to audit in the victim's org.
    expect((await audit.read(tenant.org_id)).filter((e) => e.event === 'decision_refused' && e.workflow_id === victim.workflowId)).toEqual([]);

    await endsAsDecided(victim, 'approve');
  });

  it('a signal no worker can read, plaintext or under a made-up key, does not stop the workflow it lands in', async () => {
    const victim = await shareAsking('poison-signal');
    const address = ['--address', env.TEMPORAL_ADDRESS ?? '', '--workflow-id', victim.workflowId];
    // Signals are written to history before any worker sees them: a decode that threw would fail every replay.
    await run(cli, ['workflow', 'signal', ...address, '--name', 'decide', '--input', JSON.stringify({ decision: 'approve' })]);
    await run(cli, ['workflow', 'signal', ...address, '--name', 'anything', '--input-base64', '--input', Buffer.from('not ciphertext at all').toString('base64'),
      '--input-meta', 'encoding=binary/encrypted', '--input-meta', 'encryption-key-id=made-up']);
    await until(async () => (await messagesIn(victim.workflowId)).length === 2, 10_000, 'both signals in the history');
    // Both read as refused and dropped: the workflow still takes its approver's decision and ends as it says.
    await endsAsDecided(victim, 'approve');
    expect(await messagesIn(victim.workflowId)).toEqual(['signal:decide', 'signal:anything', 'update_accepted']);
  });
  it('a Redis writer can forge what the dashboard shows and block the API\'s decide, but makes nothing run', async () => {
    const victim = await shareAsking('redis-forgery');
    const keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
    const commandId = victim.workflowId.split('/').at(-1) ?? '';
    const forged = (seq: number, type: 'ask_resolved' | 'task_completed', payload: Record<string, unknown>) => JSON.stringify({
      report_id: `${victim.workflowId}:${seq}`, seq, report_type: type, correlation_id: victim.correlationId, command_id: commandId,
      workflow_id: victim.workflowId, org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(), payload,
    });
    // Straight into the stream and the ask index, as anyone with the Redis password can.
    await redis.xadd(keys.reports(tenant), '*', 'report', forged(victim.ask.seq + 1, 'ask_resolved', { ask_id: victim.ask.payload.ask_id, decision: 'approve', decided_by: 'mallory' }));
    await redis.xadd(keys.reports(tenant), '*', 'report', forged(victim.ask.seq + 2, 'task_completed', { result: { sent: true }, risk_level: 'RED', duration_ms: 1 }));
    await redis.hset(keys.ask(tenant, victim.ask.payload.ask_id), 'status', 'resolved', 'decision', 'approve', 'decided_by', 'mallory');
    // The dashboard believes it (the stream is its only truth), and the approver is turned away...
    await victim.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 10_000, 'the forged completion on the stream');
    victim.stream.close();
    expect((await victim.approve()).status).toBe(409);
    // ...but Temporal holds no decision, the workflow still waits, and nothing was sent.
    expect(await messagesIn(victim.workflowId)).toEqual([]);
    expect((await insider.workflow.getHandle(victim.workflowId).describe()).status.name).toBe('RUNNING');
    expect(deliveriesFor(victim.correlationId)).toHaveLength(0);
    started.push(victim.workflowId);
  });

  it('where the effect happens, a standing approval counts only as NEXUS keeps it: not made up, not widened, not once revoked', async () => {
    const url = `${hookUrl}/hook/standing-rogue`;
    const made = await post(nexus.baseUrl, '/standing-approvals', { agent: 'external_share', match: { params: { url } }, expires_in: '1h', reason: 'the rogue test' }, tenant, { 'x-user-id': 'principal-park' });
    expect(made.status).toBe(201);
    const id = made.body.standing_approval_id as string;
    const keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
    const { signed } = JSON.parse(await redis.get(keys.standingApproval(tenant, id)) ?? '{}') as { signed: SignedStandingGrant };
    const before = receiver.deliveries.length;
    const attempt = async (label: string, stepUrl: string, standing: unknown) => {
      const commandId = `rogue-standing-${label}-${Date.now()}`;
      const owned = workflowIdFor(tenant, commandId);
      return rogue(insider, rogueQueue.keyed, owned, { activity: 'runAgent', input: rogueStep(owned, commandId, stepUrl, { approval: { ask_id: `rogue-${label}-${Date.now()}`, standing } as never }) });
    };
    // Made up, with a signature of its own; the real one widened to another destination (its signature no longer
    // holds); the real one for a destination it does not cover.
    expect(await attempt('made-up', url, { grant: { ...signed.grant, standing_approval_id: 'sa_CCCCCCCCCCCCCCCCCCCCCC' }, signature: 'A'.repeat(43) })).toEqual({ ok: false, code: 'approval_invalid' });
    expect(await attempt('widened', `${hookUrl}/hook/elsewhere`, { ...signed, grant: { ...signed.grant, match: { params: { url: `${hookUrl}/hook/elsewhere` } } } })).toEqual({ ok: false, code: 'approval_invalid' });
    expect(await attempt('uncovered', `${hookUrl}/hook/elsewhere`, signed)).toEqual({ ok: false, code: 'approval_invalid' });
    expect(receiver.deliveries.length).toBe(before);
    // Live, it approves what it covers, for whoever reaches Temporal with the payload key, as for any command of the
    // project (that is what standing means: docs/risk-policy.md). Revoked, the same copy is refused at once.
    expect(await attempt('live', url, signed)).toEqual({ ok: true });
    expect(receiver.deliveries.length).toBe(before + 1);
    expect((await post(nexus.baseUrl, `/standing-approvals/${id}/revoke`, {}, tenant, { 'x-user-id': 'principal-park' })).status).toBe(200);
    expect(await attempt('revoked', url, signed)).toEqual({ ok: false, code: 'approval_invalid' });
    expect(receiver.deliveries.length).toBe(before + 1);
    const refused = (await audit.read(tenant.org_id)).filter((e) => e.event === 'effect_refused' && e.ask_id?.startsWith('rogue-'));
    expect(refused.map((e) => e.ask_id?.split('-')[1]).sort()).toEqual(['made', 'revoked', 'uncovered', 'widened']);
  });
});
