import { CancellationScope, isCancellation, log, patched, setHandler } from '@temporalio/workflow';
import type { CommandInput, CommandState, Plan, RiskLevel, TaskError } from '../contracts/index.js';
// Zod-free on purpose: anything imported at runtime here is re-evaluated for every workflow run.
import { maxRisk } from '../contracts/risk-rank.js';
import { ActionRunner, ONE_STEP_BEFORE_AGENT, PLAN_ASKS_UP_FRONT, TASK_STARTED_WHEN_ACTING, type AssessedStep, type StepOutcome } from './action-runner.js';
import { agentActivities, local } from './activity-proxies.js';
import { ApprovalGate } from './approval-gate.js';
import { stateQuery } from './messages.js';
import { OpenAsks } from './open-asks.js';
import { ReportBuilder } from './report-builder.js';
import { toTaskError } from './task-error.js';

export interface CommandOutcome {
  status: 'completed' | 'failed' | 'cancelled' | 'expired';
  result?: unknown;
  error?: TaskError;
}

/**
 * One command, start to finish. Every path ends with exactly one terminal report: task_completed, task_failed
 * or task_cancelled.
 */
export async function commandWorkflow(input: CommandInput): Promise<CommandOutcome> {
  const gate = new ApprovalGate(input);
  const reports = new ReportBuilder(input);
  const state: CommandState = { status: 'accepted', pending_ask_id: null };
  setHandler(stateQuery, () => state);
  const openAsks = new OpenAsks(state);
  let outcome: CommandOutcome;
  try {
    outcome = await runCommand(input, gate, reports, state, openAsks);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled (`POST /commands/{id}/cancel`, or Temporal's cancel): wherever it waited — on an ask, an agent
    // that has stopped, a plan — the command ends on the stream, with the ask that was open (the bridge closes it).
    await CancellationScope.nonCancellable(async () => {
      log.info('command cancelled', { correlation_id: input.correlation_id });
      const pending = state.pending_ask_id;
      // The first open ask closes with the command's end; any other (a plan's asks waiting together) is withdrawn.
      const withdrawn = openAsks.withdraw(reports, gate, 'the command was cancelled', pending ?? undefined);
      state.status = 'cancelled';
      await local.publishReports([...withdrawn, reports.build('task_cancelled', { reason: 'cancelled', ...(pending ? { ask_id: pending } : {}) })]);
      await gate.drain();
    });
    // Temporal records the workflow as cancelled, as it was asked.
    throw err;
  }
  // A decision still being verified gets its answer instead of being cut off by the workflow's end.
  await CancellationScope.nonCancellable(() => gate.drain());
  return outcome;
}

async function runCommand(input: CommandInput, gate: ApprovalGate, reports: ReportBuilder, state: CommandState, openAsks: OpenAsks): Promise<CommandOutcome> {
  const started = Date.now();
  // Commands begun before this change said task_started with command_accepted; they replay as they ran.
  const startWhenActing = patched(TASK_STARTED_WHEN_ACTING);
  // Commands begun before this change published their opening reports apart from the first assessment.
  const oneStep = patched(ONE_STEP_BEFORE_AGENT);
  const runner = new ActionRunner(input, reports, gate, openAsks, startWhenActing);
  const { request } = input;
  const agentName = request.type === 'agent.run' ? request.agent : undefined;

  const accepted = [
    reports.build('command_accepted', {
      type: request.type,
      agent: agentName,
      risk_floor: request.risk_level,
      requested_by: input.requested_by,
      ...(input.rerun_of !== undefined ? { rerun_of: input.rerun_of } : {}),
      ...(input.rerun_changes !== undefined ? { rerun_changes: input.rerun_changes } : {}),
    }),
    ...(startWhenActing ? [] : [reports.build('task_started', { agent: agentName })]),
  ];
  // An agent.run's opening reports go out with its first assessment: one local activity before the agent runs.
  const acceptedWithStep = oneStep && request.type === 'agent.run';
  if (!acceptedWithStep) await local.publishReports(accepted);
  state.status = 'running';

  const finish = async (outcome: Exclude<StepOutcome, { kind: 'ran' }>): Promise<CommandOutcome> => {
    if (outcome.kind === 'failed') {
      state.status = 'failed';
      log.warn('command failed', { correlation_id: input.correlation_id, code: outcome.error.code });
      await local.publishReports([reports.build('task_failed', { error: outcome.error, duration_ms: Date.now() - started })]);
      return { status: 'failed', error: outcome.error };
    }
    const expired = outcome.kind === 'expired';
    state.status = expired ? 'expired' : 'cancelled';
    const reason = expired ? 'the approval request expired' : outcome.reason;
    await local.publishReports([reports.build('task_cancelled', { reason, ask_id: outcome.askId })]);
    return { status: expired ? 'expired' : 'cancelled' };
  };
  const complete = async (result: unknown, risk: RiskLevel): Promise<CommandOutcome> => {
    state.status = 'completed';
    await local.publishReports([reports.build('task_completed', { result, risk_level: risk, duration_ms: Date.now() - started })]);
    return { status: 'completed', result };
  };

  if (request.type === 'agent.run') {
    const outcome = await runner.run({ agent: request.agent, params: request.params }, undefined, acceptedWithStep ? accepted : undefined);
    return outcome.kind === 'ran' ? complete(outcome.result, outcome.risk) : finish(outcome);
  }

  // A plain-language instruction: plan, run each call under policy; a denial goes back to the model, which may
  // propose a revised plan (a bounded number of times).
  const { planInstruction } = agentActivities(input.settings);
  // Commands begun before this change asked about a plan's RED calls one at a time, running each step in between.
  const upFront = patched(PLAN_ASKS_UP_FRONT);
  let previous: { plan: Plan; denial: { call_id: string; reason: string } } | undefined;
  for (let revision = 0; ; revision++) {
    let plan: Plan;
    try {
      plan = await planInstruction({
        text: request.text,
        correlation_id: input.correlation_id,
        ...(request.attachments ? { attachments: { tenant: input.tenant, file_ids: request.attachments } } : {}),
        ...(previous ? { transcript: previous.plan.transcript, denial: previous.denial } : {}),
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = toTaskError(err);
      // The planner's only slow part is the LLM: running out of time there means the LLM was unavailable.
      return finish({ kind: 'failed', error: error.code === 'agent_timeout' ? { ...error, code: 'llm_unavailable', message: 'the LLM did not answer in time' } : error });
    }
    const planReady = [
      reports.build('task_progress', {
        message: revision === 0 ? 'plan ready' : `revised plan ready (revision ${revision})`,
        plan: { title: plan.title, calls: plan.calls.map(({ agent, params }) => ({ agent, params })), suggested_risk: plan.suggested_risk, revision },
        llm: plan.usage,
      }),
    ];
    // A plan has at least one call (contracts/plan.ts): under the patch, the plan's report goes out with its first
    // call's assessment.
    if (!oneStep) await local.publishReports(planReady);
    let openingReports = oneStep ? planReady : undefined;
    const words = { title: plan.title, description: plan.description, suggestedRisk: plan.suggested_risk };
    const results: unknown[] = [];
    let risk: RiskLevel = 'GREEN';
    let denied: { call_id: string; reason: string } | undefined;
    if (upFront) {
      // Every call assessed, every RED one asked about at once; nothing runs until all are cleared, so a denial
      // always goes back to the model (within the revisions allowed).
      const steps: AssessedStep[] = [];
      for (const call of plan.calls) {
        steps.push({ action: { agent: call.agent, params: call.params }, assessed: await runner.assessFirst({ agent: call.agent, params: call.params }, openingReports) });
        openingReports = undefined;
        if ('error' in (steps[steps.length - 1] as AssessedStep).assessed) break;
      }
      const cleared = await runner.clearTogether(steps, words);
      if (cleared.kind === 'held') {
        const { outcome, index } = cleared;
        if (outcome.kind !== 'denied' || revision >= input.settings.plan_revisions) return finish(outcome);
        previous = { plan, denial: { call_id: (plan.calls[index] as Plan['calls'][number]).call_id, reason: outcome.reason } };
        continue;
      }
      for (const step of cleared.steps) {
        const outcome = await runner.runCleared(step);
        if (outcome.kind !== 'ran') return finish(outcome);
        results.push(outcome.result);
        risk = maxRisk(risk, outcome.risk);
      }
      return complete(results.length === 1 ? results[0] : results, risk);
    }
    for (const call of plan.calls) {
      const outcome = await runner.run({ agent: call.agent, params: call.params }, words, openingReports);
      openingReports = undefined;
      if (outcome.kind === 'ran') {
        results.push(outcome.result);
        risk = maxRisk(risk, outcome.risk);
        continue;
      }
      if (outcome.kind === 'denied' && revision < input.settings.plan_revisions && results.length === 0) {
        denied = { call_id: call.call_id, reason: outcome.reason };
        break;
      }
      return finish(outcome);
    }
    if (!denied) return complete(results.length === 1 ? results[0] : results, risk);
    previous = { plan, denial: denied };
  }
}
