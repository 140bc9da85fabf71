import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECIDE_REJECTIONS, type Action, type CommandInput, type DecideInput, type Plan, type ReportOf } from '../contracts/index.js';
import {
  commandInput,
  decide,
  decision,
  refused,
  refusalType,
  startHarness,
  stubActivities,
  types,
  waitForReport,
  withCommand,
  withWorker,
  type Handle,
  type Stub,
  type WorkflowHarness,
} from '../test/support/workflow-harness.js';
import { until } from '../test/support/until.js';
import type { commandWorkflow } from './command-workflow.js';
import { decideUpdate, stateQuery } from './messages.js';

// A plan's RED calls asked about up front, waiting side by side in one gate: the real bundle on the run's dev
// server, stub activities and planner. Every workflow started here is replayed with the current code when the file
// ends (the harness's close()), so each of these histories must replay.

let harness: WorkflowHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const notice: Action = { agent: 'notice_board', params: { text: 'trip on Friday' } };
const kakao: Action = { agent: 'kakao_parents', params: { to: 'parents', text: 'trip on Friday' } };
const share: Action = { agent: 'drive_share', params: { to: 'partner.example', file: 'roster.xlsx' } };
const riskOf = (action: Action) => (action.agent === notice.agent ? 'GREEN' : 'RED');

function plan(calls: Action[], title = 'Tell everyone about the trip'): Plan {
  return {
    calls: calls.map((c, i) => ({ ...c, call_id: `call-${i}` })),
    title,
    description: 'a stub plan',
    language: 'en',
    suggested_risk: 'GREEN',
    usage: { provider: 'anthropic', model: 'stub', input_tokens: 1, output_tokens: 1, calls: 1 },
    transcript: [],
  };
}

function instruction(planRevisions = 0): CommandInput {
  const input = commandInput({});
  return { ...input, request: { type: 'instruction', text: 'tell everyone about the trip' }, settings: { ...input.settings, plan_revisions: planRevisions } };
}

const run = (harnessStub: Stub, input: CommandInput, body: (handle: Handle) => Promise<unknown>) => withCommand(harness, harnessStub, input, async (handle) => {
  await body(handle);
  return handle.result();
});

const asks = (stub: Stub) => stub.calls.reports.filter((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
const resolved = (stub: Stub) => stub.calls.reports.filter((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved');

describe('a plan asks about all of its RED calls at once', { timeout: 20_000 }, () => {
  it('opens every RED call\'s ask before anything runs, and runs the plan in order once all are approved', async () => {
    const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([notice, kakao, share])] });
    const input = instruction();
    const outcome = await run(stub, input, async (handle) => {
      await waitForReport(stub, 'ask_created', 2);
      const [first, second] = asks(stub) as [ReportOf<'ask_created'>, ReportOf<'ask_created'>];
      expect([first.payload.action, second.payload.action]).toEqual([kakao, share]);
      expect(first.payload.expires_at).toBe(second.payload.expires_at);
      expect(first.payload.ask_id).not.toBe(second.payload.ask_id);
      // Both were said in one local activity, before either was open.
      expect(stub.calls.publishedLocally.filter(([type]) => type === 'ask_created')).toEqual([['ask_created', true], ['ask_created', true]]);
      expect(await handle.query(stateQuery)).toEqual({ status: 'waiting_for_approval', pending_ask_id: first.payload.ask_id });
      expect(stub.calls.runs).toHaveLength(0);

      // Each ask is bound to its own digest: the first's digest does not approve the second.
      expect(await refused(handle, decision(input, second, { decided_by: 'bob', action_digest: first.payload.action_digest }))).toBe(DECIDE_REJECTIONS.digestMismatch);
      // Decided in the other order, and together.
      const answers = await Promise.all([decide(handle, decision(input, second, { decided_by: 'bob' })), decide(handle, decision(input, first, { decided_by: 'bob' }))]);
      expect(answers).toEqual([{ accepted: true, final: true }, { accepted: true, final: true }]);
    });

    expect(outcome).toMatchObject({ status: 'completed' });
    expect(stub.calls.runs.map((r) => r.agent)).toEqual([notice.agent, kakao.agent, share.agent]);
    const [, kakaoRun, shareRun] = stub.calls.runs;
    expect(kakaoRun?.approval?.ask_id).toBe(asks(stub)[0]?.payload.ask_id);
    expect(shareRun?.approval?.ask_id).toBe(asks(stub)[1]?.payload.ask_id);
    expect(stub.calls.runs[0]?.approval).toBeUndefined();
    const order = types(stub.calls.reports);
    expect(order.lastIndexOf('ask_resolved')).toBeLessThan(order.indexOf('task_started'));
    expect(order.at(-1)).toBe('task_completed');
    // Every call assessed once, before any ask: nothing is assessed again for running.
    expect(stub.calls.assessed).toEqual([notice, kakao, share]);
  });

  it('withdraws the plan\'s other asks when one is denied, refuses decisions on them, and plans again with the denial', async () => {
    const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([kakao, share]), plan([kakao], 'Only the parents')] });
    const input = instruction(1);
    const outcome = await run(stub, input, async (handle) => {
      await waitForReport(stub, 'ask_created', 2);
      const [first, second] = asks(stub) as [ReportOf<'ask_created'>, ReportOf<'ask_created'>];
      await decide(handle, decision(input, second, { decided_by: 'bob', decision: 'deny', reason: 'not to partners' }));
      await until(async () => resolved(stub).length === 2, 10_000, 'the denial and the withdrawal on the stream');
      // The revised plan's ask is open; the withdrawn one stays closed.
      const revised = await waitForReport(stub, 'ask_created', 3);
      expect(await refused(handle, decision(input, first, { decided_by: 'carol' }))).toBe(DECIDE_REJECTIONS.alreadyDecided);
      await decide(handle, decision(input, revised, { decided_by: 'carol' }));
    });

    expect(outcome).toMatchObject({ status: 'completed', result: { ran: kakao.params } });
    const [denied, withdrawn, approved] = resolved(stub);
    expect(approved?.payload).toMatchObject({ decision: 'approve', decided_by: 'carol' });
    expect(denied?.payload).toMatchObject({ ask_id: asks(stub)[1]?.payload.ask_id, decision: 'deny', decided_by: 'bob', reason: 'not to partners' });
    expect(withdrawn?.payload).toMatchObject({ ask_id: asks(stub)[0]?.payload.ask_id, decision: 'deny', decided_by: 'nexus', withdrawn: true, decisions: [] });
    expect(withdrawn?.payload.reason).toMatch(/^withdrawn: /);
    expect(stub.calls.planned[1]?.denial).toEqual({ call_id: 'call-1', reason: 'not to partners' });
    expect(stub.calls.runs.map((r) => r.agent)).toEqual([kakao.agent]);
  });

  it('a cancelled command closes every open ask of its plan: the first with its end, the others withdrawn', async () => {
    const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([kakao, share])] });
    const input = instruction();
    const outcome = await withCommand(harness, stub, input, async (handle) => {
      await waitForReport(stub, 'ask_created', 2);
      await handle.cancel();
      return handle.result().then(() => 'completed', (err: unknown) => (err as Error).name);
    });

    expect(outcome).toBe('WorkflowFailedError');
    const [first, second] = asks(stub);
    const end = await waitForReport(stub, 'task_cancelled');
    expect(end.payload.ask_id).toBe(first?.payload.ask_id);
    expect(resolved(stub).map((r) => r.payload)).toEqual([expect.objectContaining({ ask_id: second?.payload.ask_id, decided_by: 'nexus', withdrawn: true })]);
    expect(types(stub.calls.reports).at(-1)).toBe('task_cancelled');
    expect(stub.calls.runs).toHaveLength(0);
  });

  it('an edit of one ask is assessed and asked again by regular activities while the other ask stays open', async () => {
    const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([kakao, share])] });
    const input = instruction();
    const edited = { to: 'parents', text: 'trip on Friday, bring lunch' };
    const outcome = await run(stub, input, async (handle) => {
      await waitForReport(stub, 'ask_created', 2);
      const [first, second] = asks(stub) as [ReportOf<'ask_created'>, ReportOf<'ask_created'>];
      await decide(handle, decision(input, first, { decided_by: 'bob', params: edited }));
      const again = await waitForReport(stub, 'ask_created', 3);
      expect(again.payload).toMatchObject({ action: { agent: kakao.agent, params: edited }, edited_from: { ask_id: first.payload.ask_id, edited_by: 'bob' } });
      // The editor may not approve their edit; another approver may.
      expect(await refused(handle, decision(input, again, { decided_by: 'bob' }))).toBe(DECIDE_REJECTIONS.separationOfDuties);
      await decide(handle, decision(input, again, { decided_by: 'carol' }));
      await decide(handle, decision(input, second, { decided_by: 'bob' }));
    });

    expect(outcome).toMatchObject({ status: 'completed' });
    expect(stub.calls.runs.map((r) => r.params)).toEqual([edited, share.params]);
    expect(stub.calls.publishedLocally.filter(([type]) => type === 'ask_created')).toEqual([['ask_created', true], ['ask_created', true], ['ask_created', false]]);
  });

  it('decisions on several asks reaching a worker together, each proof slow to check, replay on a worker without a cache', async () => {
    const slow = 'slow to verify';
    const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([kakao, share, kakao])], verifyDelayMs: (d) => (d.reason === slow ? 60 : 0) });
    const input = instruction();
    const taskQueue = `wf-plan-asks-${randomUUID()}`;
    const handle = await withWorker(harness, stub, taskQueue, async () => {
      const started = await harness.client.workflow.start<typeof commandWorkflow>('commandWorkflow', { workflowId: input.workflow_id, taskQueue, args: [input] });
      harness.started.push(started.workflowId);
      await waitForReport(stub, 'ask_created', 3);
      // Every ask open in the gate: a decision on an ask that is not its own is refused as unknown, not "not ready".
      const probe = decision(input, asks(stub)[0] as ReportOf<'ask_created'>, { decided_by: 'probe', ask_id: 'probe' });
      await until(async () => refusalType(await started.executeUpdate(decideUpdate, { args: [probe] }).then(() => undefined, (e: unknown) => e)) === DECIDE_REJECTIONS.unknownAsk, 10_000, 'the gate to open the asks');
      return started;
    });
    const [a, b, c] = asks(stub) as [ReportOf<'ask_created'>, ReportOf<'ask_created'>, ReportOf<'ask_created'>];
    // Sent while no worker polls: the next worker gets them in one task, and, keeping no cache, replays every task.
    const decisions: DecideInput[] = [
      decision(input, a, { decided_by: 'bob', reason: slow }),
      decision(input, b, { decided_by: 'bob' }),
      decision(input, a, { decided_by: 'carol' }),
      decision(input, c, { decided_by: 'carol', decision: 'deny', reason: slow }),
    ];
    const sent = decisions.map((d) => handle.executeUpdate(decideUpdate, { args: [d] }).then(() => 'accepted', (err: unknown) => refusalType(err) ?? String(err)));
    await until(async () => !!(await handle.describe()).raw.pendingWorkflowTask, 10_000, 'the decisions to reach Temporal');
    const answers = await withWorker(harness, stub, taskQueue, async () => {
      const all = await Promise.all(sent);
      await handle.result();
      return all;
    }, { maxCachedWorkflows: 0 });

    // Temporal admits them in an order of its own: whichever way, c's deny counts, a is settled by one decision,
    // anything too late is refused as decided (b's approval too, when c's deny came first and withdrew b), the
    // plan is denied, and nothing ran.
    expect(answers[3]).toBe('accepted');
    expect([answers[0], answers[2]].filter((a) => a === 'accepted').length).toBeLessThanOrEqual(1);
    expect(answers.filter((a) => a !== 'accepted').every((a) => a === DECIDE_REJECTIONS.alreadyDecided)).toBe(true);
    expect(stub.calls.runs).toHaveLength(0);
    // Every ask closed exactly once on the stream.
    expect(resolved(stub).map((r) => r.payload.ask_id).sort()).toEqual([a, b, c].map((ask) => ask.payload.ask_id).sort());
    expect(types(stub.calls.reports).at(-1)).toBe('task_cancelled');
  });

  it('a denial and a decision on the other ask close together: the plan ends once, and its history replays', async () => {
    // No workflow cache: every task replays the history first. The second decision may be let in while its ask is
    // still open and be checked while the plan ends; nothing else local may run beside that check.
    for (let round = 0; round < 3; round++) {
      const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([kakao, share])], verifyDelayMs: () => 20 * round });
      const input = instruction();
      const outcome = await withCommand(harness, stub, input, async (handle) => {
        await waitForReport(stub, 'ask_created', 2);
        const [first, second] = asks(stub) as [ReportOf<'ask_created'>, ReportOf<'ask_created'>];
        const answers = await Promise.all([
          decide(handle, decision(input, first, { decided_by: 'bob', decision: 'deny' })).then(() => 'accepted', (err: unknown) => refusalType(err) ?? String(err)),
          decide(handle, decision(input, second, { decided_by: 'carol' })).then(() => 'accepted', (err: unknown) => refusalType(err) ?? String(err)),
        ]);
        expect(answers[0]).toBe('accepted');
        expect(['accepted', DECIDE_REJECTIONS.alreadyDecided]).toContain(answers[1]);
        return handle.result();
      }, { maxCachedWorkflows: 0 });
      expect(outcome).toEqual({ status: 'cancelled' });
      expect(stub.calls.runs).toHaveLength(0);
      expect(resolved(stub).map((r) => r.payload.ask_id).sort()).toEqual(asks(stub).map((a) => a.payload.ask_id).sort());
    }
  });

  it('an expired ask ends the command and withdraws the rest of its plan', async () => {
    const stub = stubActivities({ risk: 'RED', riskOf, plans: [plan([kakao, share])] });
    // Long enough that the first ask is surely approved in time on a loaded machine; the other then expires.
    const input = { ...instruction(), settings: { ...instruction().settings, ask_timeout_ms: 5_000 } };
    const outcome = await run(stub, input, async (handle) => {
      await waitForReport(stub, 'ask_created', 2);
      // One approved in time; the other expires.
      await decide(handle, decision(input, asks(stub)[0] as ReportOf<'ask_created'>, { decided_by: 'bob' }));
    });

    expect(outcome).toEqual({ status: 'expired' });
    const order = types(stub.calls.reports);
    expect(order.filter((t) => t === 'ask_expired')).toHaveLength(1);
    expect(order.at(-1)).toBe('task_cancelled');
    expect(stub.calls.runs).toHaveLength(0);
  });
});
