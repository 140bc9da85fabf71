import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf } from '../../contracts/index.js';
import { createLogger } from '../../infra/logger.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, temporalClient, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { FakeLlmServer } from '../support/fake-llm-server.js';

/**
 * Commands terminated in Temporal, outside NEXUS (the CLI or the Web UI), never write their own end.
 * The API's reconciler finds them and ends them on their stream — `task_cancelled` naming how, with the ask that was
 * open, which the bridge then closes so a late decide gets a clear 409 instead of a 202 for nothing — once, and never
 * for a workflow that only claims to be a command.
 */
const run = promisify(execFile);
const tenant = { org_id: 'acme', project_id: 'closed' };
const receiver = new WebhookReceiver();
const llm = new FakeLlmServer('fake-claude');
const env = isolatedEnv('closed', { NEXUS_STALL_CHECK_INTERVAL: '300ms' });
let hookUrl: string;
let nexus: RunningNexus;
let logFile: string;
let cli: string;
let redis: Redis;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  await llm.start();
  Object.assign(env, { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, LLM_PRIMARY_PROVIDER: 'anthropic' });
  const test = testLogger(env);
  logFile = test.logFile;
  nexus = await bootNexus(env, test.logger);
  cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH, createLogger('silent'));
  redis = new Redis(REDIS_URL);
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await nexus?.stop();
  await receiver.stop();
  await llm.stop();
  await cleanupEnv(env);
});

const temporal = (...args: string[]) => run(cli, [...args, '--address', env.TEMPORAL_ADDRESS ?? '']);
const askStatus = (askId: string) => redis.hget(new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '').ask(tenant, askId), 'status');
const ended = (rs: Report[]) => rs.filter((r) => ['task_completed', 'task_failed', 'task_cancelled'].includes(r.report_type));

/** A RED share waiting on its ask, stopped with the Temporal CLI: its stream until the reconciler ended it. */
async function stoppedInTemporal(label: string, how: 'terminate' | 'cancel') {
  const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label });
  // The CLI takes a reason for a terminate only.
  await temporal('workflow', how, '--workflow-id', share.workflowId, ...(how === 'terminate' ? ['--reason', `${label}: stopped by an operator`] : []));
  const reports = await share.stream.waitFor((rs) => ended(rs).length > 0, 30_000, `the reconciler to end the ${how}d command on its stream`);
  return { ...share, reports };
}

describe('commands stopped in Temporal, outside NEXUS', () => {
  it('get their end on the stream, once, with their open ask closed: a late decide is a 409 and runs nothing', async () => {
    const terminated = await stoppedInTemporal('terminated', 'terminate');
    const end = ended(terminated.reports)[0] as ReportOf<'task_cancelled'>;
    expect(terminated.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'task_cancelled']);
    expect(end.payload).toEqual({ reason: 'stopped outside NEXUS: the workflow was terminated in Temporal', ask_id: terminated.ask.payload.ask_id });
    expect(end.seq).toBe(terminated.ask.seq + 1);
    expect(end.correlation_id).toBe(terminated.correlationId);
    await until(async () => (await askStatus(terminated.ask.payload.ask_id)) === 'closed', 10_000, 'the bridge to close the ask');

    const late = await post(nexus.baseUrl, `/approvals/${terminated.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: terminated.ask.payload.action_digest }, tenant);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'ask_not_pending', message: expect.stringMatching(/ended before a decision counted/) });

    // A second command stopped later: by the time its end is on the stream, the reconciler has passed over the
    // first one again (its window reaches back minutes), and wrote nothing more for it.
    // (A cancel from Temporal is one the workflow handles itself, as it does NEXUS's own: it writes its end.)
    const cancelled = await stoppedInTemporal('cancelled', 'cancel');
    expect(ended(cancelled.reports)[0]?.payload).toEqual({ reason: 'cancelled', ask_id: cancelled.ask.payload.ask_id });
    const again = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: terminated.correlationId });
    const history = await again.waitFor((rs) => rs.length >= 3, 10_000, 'the first command\'s history');
    again.close();
    terminated.stream.close();
    cancelled.stream.close();
    expect(history.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'task_cancelled']);
    expect(receiver.deliveries.filter((d) => d.correlationId === terminated.correlationId || d.correlationId === cancelled.correlationId)).toHaveLength(0);
  });

  it('a plan stopped in Temporal with two asks open: the first closes with its end, the other is withdrawn; late decides are 409s', async () => {
    const text = 'share the roster with both partners';
    llm.reply(text, { toolCalls: [
      { name: 'external_share', input: { url: `${hookUrl}/plan-a`, payload: { to: 'a' } } },
      { name: 'external_share', input: { url: `${hookUrl}/plan-b`, payload: { to: 'b' } } },
      { name: 'describe_plan', input: { title: 'Share with two partners', description: 'two shares', language: 'en', suggested_risk: 'GREEN' } },
    ] });
    const correlationId = `closed-plan-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
    const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'instruction', text, correlation_id: correlationId }, tenant);
    expect(res.status).toBe(202);
    const asked = (rs: Report[]) => rs.filter((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
    const asks = asked(await stream.waitFor((rs) => asked(rs).length >= 2, 30_000, 'both asks of the plan'));
    await temporal('workflow', 'terminate', '--workflow-id', res.body.workflow_id as string, '--reason', 'plan stopped by an operator');
    const reports = await stream.waitFor((rs) => ended(rs).length > 0, 30_000, 'the reconciler to end the plan on its stream');
    stream.close();
    const end = ended(reports)[0] as ReportOf<'task_cancelled'>;
    const withdrawn = reports.filter((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved');
    const askIds = asks.map((a) => a.payload.ask_id);
    expect(askIds).toContain(end.payload.ask_id);
    expect(withdrawn.map((r) => r.payload)).toEqual([expect.objectContaining({ ask_id: askIds.find((id) => id !== end.payload.ask_id), decided_by: 'nexus', withdrawn: true })]);
    expect(reports.at(-1)?.report_type).toBe('task_cancelled');
    for (const ask of asks) {
      await until(async () => (await askStatus(ask.payload.ask_id)) !== 'pending', 10_000, 'the bridge to close each ask');
      const late = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: ask.payload.action_digest }, tenant);
      expect(late.status).toBe(409);
    }
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(0);
  });

  it('a workflow that only claims to be a command, stopped in Temporal, ends nothing on that command\'s stream', async () => {
    const victim = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label: 'victim' });
    const commandId = victim.workflowId.split('/').pop() ?? '';
    const shadowId = `shadow-closed-${Date.now()}`;
    // An insider with the payload key: memo and search attributes say it is the victim's command; its id is not
    // the one they derive.
    const insider = await temporalClient(env);
    try {
      await insider.workflow.start('commandWorkflow', {
        taskQueue: env.TEMPORAL_TASK_QUEUE ?? '', workflowId: shadowId, args: [],
        memo: { correlation_id: victim.correlationId, command_id: commandId },
        typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.orgId, value: tenant.org_id }, { key: SEARCH_ATTRIBUTES.projectId, value: tenant.project_id }],
      });
    } finally {
      await insider.connection.close();
    }
    await temporal('workflow', 'terminate', '--workflow-id', shadowId, '--reason', 'end the victim\'s card');
    await until(async () => readFileSync(logFile, 'utf8').split('\n').some((line) => line.includes(shadowId) && line.includes('closed workflow is not a NEXUS command')), 30_000, 'the reconciler to look at the shadow workflow');
    expect(await askStatus(victim.ask.payload.ask_id)).toBe('pending');

    // The victim's ask is still the approver's to decide, and the command ends as decided, once.
    const decided = await post(nexus.baseUrl, `/approvals/${victim.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: victim.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(decided.status).toBe(202);
    const reports = await victim.stream.waitFor((rs) => ended(rs).length > 0, 30_000, 'the victim to complete');
    victim.stream.close();
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
    expect(receiver.deliveries.filter((d) => d.correlationId === victim.correlationId)).toHaveLength(1);
  });
});
