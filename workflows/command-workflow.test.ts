import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionDigest } from '../activities/action-digest.js';
import { DECIDE_REJECTIONS, type Action, type ReportOf } from '../contracts/index.js';
import {
  commandInput,
  decide,
  decision,
  refused,
  reportOf,
  startHarness,
  stubActivities,
  tenant,
  types,
  waitForReport,
  withCommand as withCommandOn,
  type Handle,
  type Stub,
  type WorkflowHarness,
} from '../test/support/workflow-harness.js';
import { historyActivities } from '../test/support/history-activities.js';
import { stateQuery } from './messages.js';

// The workflow and its approval gate in isolation: the real bundle on a real dev server (timers run in real time,
// so they are kept short), and stub activities that record what the workflow asked of the world.

let harness: WorkflowHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const withCommand = <T>(stub: Stub, input: Parameters<typeof withCommandOn>[2], body: (handle: Handle) => Promise<T>) =>
  withCommandOn(harness, stub, input, body);

describe('commandWorkflow', { timeout: 10_000 }, () => {
  it('runs a GREEN command once, reporting accepted, started and completed in seq order', async () => {
    const stub = stubActivities({ risk: 'GREEN' });
    const input = commandInput({ hello: 'world' });
    const outcome = await withCommand(stub, input, (handle) => handle.result());

    expect(outcome).toEqual({ status: 'completed', result: { ran: { hello: 'world' } } });
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect(stub.calls.reports.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(stub.calls.reports.map((r) => r.report_id)).toEqual([0, 1, 2].map((seq) => `${input.workflow_id}:${seq}`));
    expect(stub.calls.reports[0]?.payload).toEqual({ type: 'agent.run', agent: 'stub_agent', requested_by: input.requested_by });
    expect(reportOf(stub.calls.reports, 'task_completed').payload).toMatchObject({ result: { ran: { hello: 'world' } }, risk_level: 'GREEN' });
    expect(stub.calls.runs).toHaveLength(1);
    expect(stub.calls.runs[0]).toMatchObject({
      agent: 'stub_agent',
      params: { hello: 'world' },
      workflow_id: input.workflow_id,
      idempotency_key: `${input.workflow_id}:step-0`,
      progress_seq_base: -1,
    });
    expect(stub.calls.verified).toHaveLength(0);
  });

  it('runs one local activity before the agent: the opening reports and the assessment together', async () => {
    const stub = stubActivities({ risk: 'GREEN' });
    const ran = await withCommand(stub, commandInput({ one: 'step' }), (handle) => historyActivities(handle));

    expect(ran.map((a) => a.type)).toEqual(['publishAndAssess', 'activity:runAgent', 'publishReports']);
    expect(stub.calls.assessed).toHaveLength(1);
    expect(stub.calls.publishedLocally).toEqual([['command_accepted', true], ['task_completed', true]]);
  });

  it('assesses again, with retries, when the first assessment fails, and says command_accepted once', async () => {
    const stub = stubActivities({ risk: 'GREEN', assessFailures: 2 });
    const input = commandInput({ assess: 'again' });
    const ran = await withCommand(stub, input, (handle) => historyActivities(handle));

    // The first try fails inside publishAndAssess; assessAction fails once more and succeeds on its second attempt.
    expect(ran).toEqual([
      { type: 'publishAndAssess', attempt: 1 },
      { type: 'assessAction', attempt: 2 },
      { type: 'activity:runAgent', attempt: 1 },
      { type: 'publishReports', attempt: 1 },
    ]);
    expect(stub.calls.assessed).toHaveLength(3);
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect(stub.calls.runs).toHaveLength(1);
  });

  it('fails the command with the assessment\'s own error when it fails for good', async () => {
    const stub = stubActivities({ risk: 'GREEN' });
    stub.activities.assessAction = async ({ action }) => {
      stub.calls.assessed.push(action);
      throw ApplicationFailure.create({ type: 'invalid_params', message: 'stub: no such params', nonRetryable: true });
    };
    const outcome = await withCommand(stub, commandInput({ bad: true }), (handle) => handle.result());

    expect(outcome).toEqual({ status: 'failed', error: { code: 'invalid_params', message: 'stub: no such params', retryable: false } });
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'task_failed']);
    expect(stub.calls.runs).toHaveLength(0);
  });
});

describe('the approval gate', { timeout: 10_000 }, () => {
  it('holds a RED command until a verified approval, then runs it exactly once', async () => {
    const stub = stubActivities({ risk: 'RED' });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      expect(ask.payload).toMatchObject({
        risk_level: 'RED',
        action: { agent: 'stub_agent', params: { to: 'parents' } },
        action_digest: actionDigest({ agent: 'stub_agent', params: { to: 'parents' } }),
        options: ['approve', 'deny'],
        quorum: 1,
      });
      expect(await handle.query(stateQuery)).toEqual({ status: 'waiting_for_approval', pending_ask_id: ask.payload.ask_id });
      expect(stub.calls.runs).toHaveLength(0);

      const approval = decision(input, ask, { decided_by: 'bob', reason: 'fine' });
      expect(await decide(handle, approval)).toEqual({ accepted: true, final: true });
      expect(stub.calls.verified).toEqual([{
        decision: approval,
        command: { workflow_id: input.workflow_id, correlation_id: input.correlation_id, tenant },
        ask_id: ask.payload.ask_id,
      }]);
      return handle.result();
    });

    expect(outcome.status).toBe('completed');
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
    expect(stub.calls.reports.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(reportOf(stub.calls.reports, 'ask_resolved').payload).toMatchObject({ decision: 'approve', decided_by: 'bob', reason: 'fine' });
    expect(stub.calls.runs).toHaveLength(1);
    expect(stub.calls.runs[0]?.params).toEqual({ to: 'parents' });
    // The decision is announced by a regular activity, scheduled only once the workflow task that accepted the
    // update is committed: a local activity would publish it before, and a Temporal crash would leave a phantom.
    expect(stub.calls.publishedLocally).toContainEqual(['ask_resolved', false]);
    expect(stub.calls.publishedLocally).not.toContainEqual(['ask_resolved', true]);
  });

  it('refuses a decision whose proof the worker does not verify: it counts for nothing and nothing runs', async () => {
    const stub = stubActivities({ risk: 'RED' });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      expect(await refused(handle, decision(input, ask, { decided_by: 'mallory', key_id: 'forged' }))).toBe('decision_forged');
      expect(stub.calls.verified).toHaveLength(1);
      expect(await handle.query(stateQuery)).toEqual({ status: 'waiting_for_approval', pending_ask_id: ask.payload.ask_id });
      // The forged approval did not close the ask: a verified deny is still the first decision that counts.
      await decide(handle, decision(input, ask, { decided_by: 'bob', decision: 'deny' }));
      return handle.result();
    });

    expect(outcome).toEqual({ status: 'cancelled' });
    expect(reportOf(stub.calls.reports, 'ask_resolved').payload.decisions?.map((d) => d.decided_by)).toEqual(['bob']);
    expect(stub.calls.runs).toHaveLength(0);
  });

  it('cancels on deny, with the reason, and never runs the agent', async () => {
    const stub = stubActivities({ risk: 'RED' });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      expect(await decide(handle, decision(input, ask, { decided_by: 'bob', decision: 'deny', reason: 'not to them' }))).toEqual({ accepted: true, final: true });
      return handle.result();
    });

    expect(outcome).toEqual({ status: 'cancelled' });
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_cancelled']);
    const ask = reportOf(stub.calls.reports, 'ask_created');
    expect(reportOf(stub.calls.reports, 'ask_resolved').payload).toMatchObject({ decision: 'deny', decided_by: 'bob', reason: 'not to them' });
    expect(reportOf(stub.calls.reports, 'task_cancelled').payload).toEqual({ reason: 'not to them', ask_id: ask.payload.ask_id });
    expect(stub.calls.runs).toHaveLength(0);
  });

  it('needs a quorum of distinct approvers: the same approver twice and a reused proof are refused', async () => {
    const stub = stubActivities({ risk: 'RED', approval: { quorum: 2 } });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      expect(ask.payload.quorum).toBe(2);
      const first = decision(input, ask, { decided_by: 'bob' });
      expect(await decide(handle, first)).toEqual({ accepted: true, final: false });
      const progress = await waitForReport(stub, 'task_progress');
      expect(progress.payload.ask).toMatchObject({ ask_id: ask.payload.ask_id, stage: 'approval', approvals: 1, quorum: 2, decided_by: 'bob' });

      // Bob again: the same decision is a retry of one that counted (the API answers it 202); a different one is refused.
      expect(await refused(handle, decision(input, ask, { decided_by: 'bob' }))).toBe(DECIDE_REJECTIONS.alreadyCounted);
      expect(await refused(handle, decision(input, ask, { decided_by: 'bob', decision: 'deny' }))).toBe(DECIDE_REJECTIONS.alreadyDecided);
      expect(await refused(handle, { ...first, decided_by: 'carol' })).toBe(DECIDE_REJECTIONS.replayed);
      expect(stub.calls.runs).toHaveLength(0);

      expect(await decide(handle, decision(input, ask, { decided_by: 'carol' }))).toEqual({ accepted: true, final: true });
      return handle.result();
    });

    expect(outcome.status).toBe('completed');
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'ask_created', 'task_progress', 'ask_resolved', 'task_started', 'task_completed']);
    const resolved = reportOf(stub.calls.reports, 'ask_resolved').payload;
    expect(resolved).toMatchObject({ decision: 'approve', decided_by: 'bob, carol' });
    expect(resolved.decisions?.map((d) => [d.decided_by, d.decision])).toEqual([['bob', 'approve'], ['carol', 'approve']]);
    expect(stub.calls.runs).toHaveLength(1);
  });

  it('keeps the requester from approving their own command (separation of duties)', async () => {
    const stub = stubActivities({ risk: 'RED', approval: { separation_of_duties: true } });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      expect(ask.payload.separation_of_duties).toBe(true);
      expect(await refused(handle, decision(input, ask, { decided_by: input.requested_by }))).toBe(DECIDE_REJECTIONS.separationOfDuties);
      expect(stub.calls.runs).toHaveLength(0);
      await decide(handle, decision(input, ask, { decided_by: 'bob' }));
      return handle.result();
    });

    expect(outcome.status).toBe('completed');
    expect(reportOf(stub.calls.reports, 'ask_resolved').payload.decided_by).toBe('bob');
    expect(stub.calls.runs).toHaveLength(1);
  });

  it('treats an edit as a new action: a second ask its editor may not approve, and the edited params run', async () => {
    const stub = stubActivities({ risk: 'RED' });
    const input = commandInput({ to: 'parents', count: 30 });
    const editedParams = { to: 'parents', count: 3 };
    const edited: Action = { agent: 'stub_agent', params: editedParams };
    const outcome = await withCommand(stub, input, async (handle) => {
      const first = await waitForReport(stub, 'ask_created');
      expect(await decide(handle, decision(input, first, { decided_by: 'bob', params: editedParams }))).toEqual({ accepted: true, final: true });

      const second = await waitForReport(stub, 'ask_created', 2);
      expect(second.payload.ask_id).not.toBe(first.payload.ask_id);
      expect(second.payload).toMatchObject({
        action: edited,
        action_digest: actionDigest(edited),
        excluded_deciders: ['bob'],
        edited_from: { ask_id: first.payload.ask_id, edited_by: 'bob' },
      });
      expect(second.payload.action_digest).not.toBe(first.payload.action_digest);
      expect(await refused(handle, decision(input, second, { decided_by: 'bob' }))).toBe(DECIDE_REJECTIONS.separationOfDuties);
      expect(stub.calls.runs).toHaveLength(0);

      await decide(handle, decision(input, second, { decided_by: 'carol' }));
      return handle.result();
    });

    expect(outcome).toEqual({ status: 'completed', result: { ran: editedParams } });
    expect(types(stub.calls.reports)).toEqual([
      'command_accepted', 'ask_created', 'ask_resolved', 'ask_created', 'ask_resolved', 'task_started', 'task_completed',
    ]);
    expect(reportOf(stub.calls.reports, 'ask_resolved').payload).toMatchObject({
      decision: 'approve',
      decided_by: 'bob',
      edited_action: edited,
      edited_action_digest: actionDigest(edited),
      superseded_by_edit: true,
    });
    expect(stub.calls.assessed).toEqual([{ agent: 'stub_agent', params: { to: 'parents', count: 30 } }, edited]);
    expect(stub.calls.runs.map((r) => r.params)).toEqual([editedParams]);
  });

  it('reminds, escalates, then expires the ask and cancels the command without running it', async () => {
    // Reminder at 0.8 s, escalation at 1.6 s, expiry at 2.4 s after the ask opened.
    const stub = stubActivities({ risk: 'RED', approval: { reminder_before_ms: 1_600, escalate_before_ms: 800 } });
    const input = commandInput({ to: 'parents' }, { ask_timeout_ms: 2_400 });
    const outcome = await withCommand(stub, input, (handle) => handle.result());

    expect(outcome).toEqual({ status: 'expired' });
    expect(types(stub.calls.reports)).toEqual([
      'command_accepted', 'ask_created', 'task_progress', 'task_progress', 'ask_expired', 'task_cancelled',
    ]);
    const ask = reportOf(stub.calls.reports, 'ask_created');
    const stages = stub.calls.reports.filter((r): r is ReportOf<'task_progress'> => r.report_type === 'task_progress').map((r) => r.payload.ask);
    expect(stages).toEqual([
      { ask_id: ask.payload.ask_id, stage: 'reminder', approvals: 0, quorum: 1, expires_at: ask.payload.expires_at },
      { ask_id: ask.payload.ask_id, stage: 'escalation', approvals: 0, quorum: 1, expires_at: ask.payload.expires_at },
    ]);
    expect(reportOf(stub.calls.reports, 'ask_expired').payload.ask_id).toBe(ask.payload.ask_id);
    expect(reportOf(stub.calls.reports, 'task_cancelled').payload).toEqual({ reason: 'the approval request expired', ask_id: ask.payload.ask_id });
    expect(stub.calls.runs).toHaveLength(0);
  });

  it('refuses a decision naming another ask before verifying anything', async () => {
    const stub = stubActivities({ risk: 'RED' });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      expect(await refused(handle, decision(input, ask, { decided_by: 'bob', ask_id: 'some-other-ask' }))).toBe(DECIDE_REJECTIONS.unknownAsk);
      // Refused by the update's validator: the verifier was never asked, and the ask is still open.
      expect(stub.calls.verified).toHaveLength(0);
      expect(await handle.query(stateQuery)).toEqual({ status: 'waiting_for_approval', pending_ask_id: ask.payload.ask_id });
      await decide(handle, decision(input, ask, { decided_by: 'bob', decision: 'deny' }));
      return handle.result();
    });

    expect(outcome).toEqual({ status: 'cancelled' });
    expect(stub.calls.runs).toHaveLength(0);
  });
});
