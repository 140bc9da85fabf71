import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECIDE_REJECTIONS, type CommandInput, type DecideInput, type DecideResult, type ReportOf } from '../contracts/index.js';
import {
  commandInput,
  decision,
  refusalType,
  reportOf,
  startHarness,
  stubActivities,
  types,
  waitForReport,
  withWorker,
  type Handle,
  type Stub,
  type WorkflowHarness,
} from '../test/support/workflow-harness.js';
import type { commandWorkflow } from './command-workflow.js';
import { until } from '../test/support/until.js';
import { decideUpdate } from './messages.js';

/**
 * Several `decide` updates accepted in one workflow task (an approver retrying after a network error, two
 * approvers at once, approve racing deny), and then a worker that must replay that history: the case that left
 * commands no worker could replay. The updates are sent while no worker polls, so Temporal hands them to the next
 * worker in one task; that worker keeps no workflow cache, so every later task replays the history first, as a
 * freshly started worker does. The first decision's proof takes longest to check: before decisions took turns,
 * that made the checks finish out of order, and the replay failed.
 */

let harness: WorkflowHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const SLOW = 'slow to verify';
const verifyDelayMs = (d: DecideInput) => (d.reason === SLOW ? 60 : 0);

type Sent = { decision: DecideInput; result: DecideResult | undefined; refusal: string | undefined };

interface Run {
  stub: Stub;
  input: CommandInput;
  handle: Handle;
  ask: ReportOf<'ask_created'>;
  taskQueue: string;
}

/** Starts the command on a worker that then stops, leaving the ask open and no worker polling. */
async function openAsk(quorum: number): Promise<Run> {
  const stub = stubActivities({ risk: 'RED', approval: { quorum }, verifyDelayMs });
  const input = commandInput({ to: 'parents' });
  const taskQueue = `wf-concurrent-${randomUUID()}`;
  return withWorker(harness, stub, taskQueue, async () => {
    const handle = await harness.client.workflow.start<typeof commandWorkflow>('commandWorkflow', { workflowId: input.workflow_id, taskQueue, args: [input] });
    harness.started.push(handle.workflowId);
    const ask = await waitForReport(stub, 'ask_created');
    await gateOpen(handle, input, ask);
    return { stub, input, handle, ask, taskQueue };
  });
}

/** The gate answers "not ready" until it has opened the ask; a decision for another ask tells which without counting. */
async function gateOpen(handle: Handle, input: CommandInput, ask: ReportOf<'ask_created'>): Promise<void> {
  const probe = decision(input, ask, { decided_by: 'probe', ask_id: 'probe' });
  await until(async () => {
    const err = await handle.executeUpdate(decideUpdate, { args: [probe] }).then(() => undefined, (e: unknown) => e);
    return refusalType(err) === DECIDE_REJECTIONS.unknownAsk;
  }, 10_000, 'the approval gate to open its ask');
}

/**
 * Sends the decisions together while no worker polls, then starts one (without a cache) that receives them in a
 * single workflow task. Resolves once every decision has its answer.
 */
async function decideTogether(run: Run, decisions: DecideInput[], finish: (handle: Handle) => Promise<void>): Promise<Sent[]> {
  const sent = decisions.map((d) => run.handle.executeUpdate(decideUpdate, { args: [d] }).then(
    (result): Sent => ({ decision: d, result, refusal: undefined }),
    (err: unknown): Sent => {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      return { decision: d, result: undefined, refusal: refusalType(err) };
    },
  ));
  await scheduledTask(run.handle);
  return withWorker(harness, run.stub, run.taskQueue, async () => {
    const answers = await Promise.all(sent);
    await finish(run.handle);
    return answers;
  }, { maxCachedWorkflows: 0 });
}

/** Temporal has a workflow task waiting for a worker: the updates were admitted. */
async function scheduledTask(handle: Handle): Promise<void> {
  await until(async () => !!(await handle.describe()).raw.pendingWorkflowTask, 10_000, 'the decisions to reach Temporal');
}

/**
 * Waits for the command's end; when it does not come, says why: a workflow task that keeps failing (a replay
 * that does not match its history) leaves the command running forever.
 */
async function ended(handle: Handle): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), 10_000); });
  const outcome = await Promise.race([handle.result().then(() => 'ended' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'ended') return;
  const history = await handle.fetchHistory();
  const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message);
  throw new Error(`the command did not end within 10 s; failed workflow tasks: ${JSON.stringify(failed.slice(-1))} (${failed.length} in all)`);
}

/** Nothing is in flight: no workflow task and no activity waiting for a worker. */
async function quiet(handle: Handle): Promise<void> {
  await until(async () => {
    const { raw } = await handle.describe();
    return !raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0;
  }, 10_000, 'the workflow to come to rest between tasks');
}

/** A worker started from scratch replays the whole history; this is what it would do. */
async function replays(handle: Handle): Promise<void> {
  const history = await handle.fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: harness.bundle }, history, handle.workflowId);
}

function counted(sent: Sent[]): Sent[] {
  return sent.filter((s) => s.result !== undefined);
}

/**
 * How each refused decision must be refused: a repeat of a decision that counted (same person, same decision)
 * as already counted, so the API can answer that retry 202; anything else as already decided.
 */
function expectedRefusals(sent: Sent[]): Array<string | undefined> {
  const winners = counted(sent).map((s) => s.decision);
  return sent.map((s) => {
    if (s.result !== undefined) return undefined;
    const repeat = winners.some((w) => w.decided_by === s.decision.decided_by && w.decision === s.decision.decision);
    return repeat ? DECIDE_REJECTIONS.alreadyCounted : DECIDE_REJECTIONS.alreadyDecided;
  });
}

/** Every command ends exactly once: one terminal report, one ask_resolved, the workflow closed. */
async function endedOnce(run: Run, status: 'completed' | 'cancelled'): Promise<void> {
  const terminal = types(run.stub.calls.reports).filter((t) => t === 'task_completed' || t === 'task_failed' || t === 'task_cancelled');
  expect(terminal).toEqual([status === 'completed' ? 'task_completed' : 'task_cancelled']);
  expect(types(run.stub.calls.reports).filter((t) => t === 'ask_resolved')).toHaveLength(1);
  expect(run.stub.calls.runs).toHaveLength(status === 'completed' ? 1 : 0);
  const { status: workflowStatus } = await run.handle.describe();
  expect(workflowStatus.name).toBe('COMPLETED');
  await replays(run.handle);
}

describe('decisions accepted together, then replayed', { timeout: 30_000 }, () => {
  it('the same approver retrying a deny: one counts, the retry is refused, the command is cancelled once', async () => {
    const run = await openAsk(1);
    const deny = (reason: string) => decision(run.input, run.ask, { decided_by: 'bob', decision: 'deny', reason });
    const sent = await decideTogether(run, [deny(SLOW), deny('network retry')], ended);

    expect(counted(sent)).toHaveLength(1);
    expect(counted(sent)[0]?.result).toEqual({ accepted: true, final: true });
    // The retry is told its decision counted: the API answers it 202, not 409.
    expect(sent.map((s) => s.refusal).filter(Boolean)).toEqual([DECIDE_REJECTIONS.alreadyCounted]);
    await endedOnce(run, 'cancelled');
  });

  it('approve racing deny: exactly one decides, and the outcome follows the one that counted', async () => {
    const run = await openAsk(1);
    const sent = await decideTogether(run, [
      decision(run.input, run.ask, { decided_by: 'bob', reason: SLOW }),
      decision(run.input, run.ask, { decided_by: 'carol', decision: 'deny', reason: 'not to them' }),
    ], ended);

    const [winner, ...others] = counted(sent);
    expect(others).toHaveLength(0);
    expect(winner?.result).toEqual({ accepted: true, final: true });
    expect(sent.map((s) => s.refusal)).toEqual(expectedRefusals(sent));
    expect(sent.filter((s) => s.refusal === DECIDE_REJECTIONS.alreadyDecided)).toHaveLength(1);
    const resolved = reportOf(run.stub.calls.reports, 'ask_resolved').payload;
    expect(resolved.decisions?.map((d) => [d.decided_by, d.decision])).toEqual([[winner?.decision.decided_by, winner?.decision.decision]]);
    await endedOnce(run, winner?.decision.decision === 'approve' ? 'completed' : 'cancelled');
  });

  it('four decisions at once: one settles the ask, the other three are refused (a repeat of it as counted), nothing runs twice', async () => {
    const run = await openAsk(1);
    const sent = await decideTogether(run, [
      decision(run.input, run.ask, { decided_by: 'bob', decision: 'deny', reason: SLOW }),
      decision(run.input, run.ask, { decided_by: 'bob', decision: 'deny', reason: 'network retry' }),
      decision(run.input, run.ask, { decided_by: 'carol' }),
      decision(run.input, run.ask, { decided_by: 'dave' }),
    ], ended);

    const [winner, ...others] = counted(sent);
    expect(others).toHaveLength(0);
    expect(sent.filter((s) => s.refusal !== undefined)).toHaveLength(3);
    expect(sent.map((s) => s.refusal)).toEqual(expectedRefusals(sent));
    await endedOnce(run, winner?.decision.decision === 'approve' ? 'completed' : 'cancelled');
  });

  it('forged approvals among decisions accepted together count for nothing, whatever their turn', async () => {
    const run = await openAsk(1);
    const sent = await decideTogether(run, [
      decision(run.input, run.ask, { decided_by: 'mallory', key_id: 'forged', reason: SLOW }),
      decision(run.input, run.ask, { decided_by: 'eve', key_id: 'forged' }),
      decision(run.input, run.ask, { decided_by: 'bob', decision: 'deny', reason: 'not to them' }),
    ], ended);

    // A forged proof is refused when checked; one that waits behind the deny is refused as too late, unchecked.
    expect(counted(sent).map((s) => s.decision.decided_by)).toEqual(['bob']);
    for (const s of sent.filter((x) => x.decision.proof.key_id === 'forged')) {
      expect([DECIDE_REJECTIONS.forged, DECIDE_REJECTIONS.alreadyDecided]).toContain(s.refusal);
    }
    expect(reportOf(run.stub.calls.reports, 'ask_resolved').payload.decisions?.map((d) => d.decided_by)).toEqual(['bob']);
    await endedOnce(run, 'cancelled');
  });

  it('a quorum of two from four at once: two distinct approvers count, the repeat (as counted) and the extra are refused', async () => {
    const run = await openAsk(2);
    const sent = await decideTogether(run, [
      decision(run.input, run.ask, { decided_by: 'bob', reason: SLOW }),
      decision(run.input, run.ask, { decided_by: 'carol' }),
      decision(run.input, run.ask, { decided_by: 'bob', reason: 'network retry' }),
      decision(run.input, run.ask, { decided_by: 'dave' }),
    ], ended);

    const accepted = counted(sent);
    // In the order Temporal accepted them, which is not the order they were sent in: one did not settle, one did.
    expect(accepted.map((s) => s.result?.final).sort()).toEqual([false, true]);
    expect(new Set(accepted.map((s) => s.decision.decided_by)).size).toBe(2);
    expect(sent.filter((s) => s.refusal !== undefined)).toHaveLength(2);
    expect(sent.map((s) => s.refusal)).toEqual(expectedRefusals(sent));
    const resolved = reportOf(run.stub.calls.reports, 'ask_resolved').payload;
    expect(resolved.decisions?.map((d) => d.decided_by).sort()).toEqual(accepted.map((s) => s.decision.decided_by).sort());
    expect(types(run.stub.calls.reports).filter((t) => t === 'task_progress')).toHaveLength(1);
    await endedOnce(run, 'completed');
  });

  it('two approvals at once on a quorum of three, a worker restart, then the third approval runs the work once', async () => {
    const run = await openAsk(3);
    const sent = await decideTogether(run, [
      decision(run.input, run.ask, { decided_by: 'bob', reason: SLOW }),
      decision(run.input, run.ask, { decided_by: 'carol' }),
    ], async (h) => {
      await waitForReport(run.stub, 'task_progress', 2);
      // Stopped between tasks, not in the middle of one (a task it held would wait out its timeout).
      await quiet(h);
    });
    expect(sent.map((s) => s.result)).toEqual([{ accepted: true, final: false }, { accepted: true, final: false }]);

    // A new worker (with a cache, as in production) must replay the two decisions before it can take the third.
    await withWorker(harness, run.stub, run.taskQueue, async () => {
      expect(await run.handle.executeUpdate(decideUpdate, { args: [decision(run.input, run.ask, { decided_by: 'dave' })] })).toEqual({ accepted: true, final: true });
      await ended(run.handle);
    });
    expect(reportOf(run.stub.calls.reports, 'ask_resolved').payload.decisions?.map((d) => d.decided_by).sort()).toEqual(['bob', 'carol', 'dave']);
    await endedOnce(run, 'completed');
  });
});
