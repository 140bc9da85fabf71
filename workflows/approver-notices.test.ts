import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_FAILURES, type NotifyPlan, type ReportOf } from '../contracts/index.js';
import {
  commandInput,
  decide,
  decision,
  reportOf,
  startHarness,
  stubActivities,
  types,
  waitForReport,
  withCommand,
  type WorkflowHarness,
} from '../test/support/workflow-harness.js';

// Telling approvers about an ask, in the workflow alone: the real bundle on the run's dev server, stub activities.
// Every workflow started here is replayed with the current code when the file ends (the harness's close()).

let harness: WorkflowHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const webhook: NotifyPlan = { target: 'aaaaaaaaaaaaaaaa', channel: 'webhook', approver: 'principal-park', stages: ['ask', 'reminder'] };
const slack: NotifyPlan = { target: 'bbbbbbbbbbbbbbbb', channel: 'slack', approver: 'vice-lee', stages: ['escalation'] };

const notifications = (reports: Parameters<typeof types>[0]) => reports
  .filter((r): r is ReportOf<'task_progress'> => r.report_type === 'task_progress' && r.payload.notification !== undefined)
  .map((r) => r.payload.notification);

describe('approver notices', { timeout: 15_000 }, () => {
  it('tells each target at its stages (ask, reminder, escalation) and reports each, without holding the ask', async () => {
    // Reminder at 0.8 s, escalation at 1.6 s, expiry at 2.4 s after the ask opened.
    const stub = stubActivities({ risk: 'RED', approval: { reminder_before_ms: 1_600, escalate_before_ms: 800, notify: [webhook, slack] } });
    const input = commandInput({ to: 'parents' }, { ask_timeout_ms: 2_400 });
    const outcome = await withCommand(harness, stub, input, (handle) => handle.result());

    expect(outcome).toEqual({ status: 'expired' });
    const ask = reportOf(stub.calls.reports, 'ask_created');
    expect(stub.calls.notices.map((n) => [n.stage, n.target.channel, n.target.approver])).toEqual([
      ['ask', 'webhook', 'principal-park'], ['reminder', 'webhook', 'principal-park'], ['escalation', 'slack', 'vice-lee'],
    ]);
    // What the activity is given: ids and whom to tell, never an address nor words about the ask.
    expect(stub.calls.notices[0]).toEqual({
      tenant: input.tenant, workflow_id: input.workflow_id, correlation_id: input.correlation_id, command_id: input.command_id,
      ask_id: ask.payload.ask_id, stage: 'ask', target: webhook, attempt: 1,
    });
    expect(notifications(stub.calls.reports)).toEqual([
      { ask_id: ask.payload.ask_id, stage: 'ask', channel: 'webhook', approver: 'principal-park', target: webhook.target, status: 'sent', attempts: 1 },
      { ask_id: ask.payload.ask_id, stage: 'reminder', channel: 'webhook', approver: 'principal-park', target: webhook.target, status: 'sent', attempts: 1 },
      { ask_id: ask.payload.ask_id, stage: 'escalation', channel: 'slack', approver: 'vice-lee', target: slack.target, status: 'sent', attempts: 1 },
    ]);
    // Every notice is told before the ask's end.
    const order = types(stub.calls.reports);
    expect(order.lastIndexOf('task_progress')).toBeLessThan(order.indexOf('ask_expired'));
  });

  it('retries a failing channel with backoff, reports the give-up, and the ask is still decided by a person', async () => {
    const stub = stubActivities({
      risk: 'RED',
      approval: { notify: [webhook, { ...slack, stages: ['ask'] }] },
      notify: async (notice, attempt) => {
        if (notice.target.channel === 'webhook') {
          throw ApplicationFailure.create({ type: NOTIFY_FAILURES.unavailable, message: 'the webhook answered 503', details: [{ attempts: attempt }] });
        }
        throw ApplicationFailure.create({ type: NOTIFY_FAILURES.refused, message: 'Slack answered 404', nonRetryable: true, details: [{ attempts: attempt }] });
      },
    });
    const input = { ...commandInput({ to: 'parents' }), settings: { ...commandInput({}).settings, notify_retry_interval_ms: 50, notify_max_attempts: 3 } };
    const outcome = await withCommand(harness, stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      for (let i = 0; i < 200 && notifications(stub.calls.reports).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      expect(notifications(stub.calls.reports).map((n) => [n?.channel, n?.status, n?.attempts, n?.error?.code])).toEqual(expect.arrayContaining([
        ['slack', 'failed', 1, NOTIFY_FAILURES.refused],
        ['webhook', 'failed', 3, NOTIFY_FAILURES.unavailable],
      ]));
      // Failing to tell anyone changed nothing about the ask.
      expect(types(stub.calls.reports)).not.toContain('ask_resolved');
      await decide(handle, decision(input, ask, { decided_by: 'principal-park' }));
      return handle.result();
    });

    expect(outcome).toMatchObject({ status: 'completed' });
    expect(stub.calls.notices.filter((n) => n.target.channel === 'webhook').map((n) => n.attempt)).toEqual([1, 2, 3]);
    expect(stub.calls.notices.filter((n) => n.target.channel === 'slack').map((n) => n.attempt)).toEqual([1]);
    const failed = notifications(stub.calls.reports).find((n) => n?.channel === 'webhook');
    expect(failed?.error).toEqual({ code: NOTIFY_FAILURES.unavailable, message: 'the webhook answered 503' });
    expect(stub.calls.runs).toHaveLength(1);
  });

  it('calls off a notice still trying when the ask is decided, and reports nothing for it', async () => {
    const stub = stubActivities({
      risk: 'RED',
      approval: { notify: [webhook] },
      // A receiver that never answers: the attempt runs until the workflow calls it off.
      notify: async () => {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      },
    });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(harness, stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      for (let i = 0; i < 200 && stub.calls.notices.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      await decide(handle, decision(input, ask, { decided_by: 'principal-park', decision: 'deny', reason: 'no' }));
      return handle.result();
    });

    expect(outcome).toEqual({ status: 'cancelled' });
    expect(stub.calls.notices).toHaveLength(1);
    expect(notifications(stub.calls.reports)).toEqual([]);
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_cancelled']);
  });

  it('sends nothing, and records no patch, for an ask with nobody to tell', async () => {
    const stub = stubActivities({ risk: 'RED' });
    const input = commandInput({ to: 'parents' });
    const history = await withCommand(harness, stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      await decide(handle, decision(input, ask, { decided_by: 'principal-park' }));
      await handle.result();
      return handle.fetchHistory();
    });

    expect(stub.calls.notices).toEqual([]);
    expect(JSON.stringify(history)).not.toContain('nexus-notify-approvers');
  });
});
