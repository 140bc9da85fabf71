import { CancellationScope, isCancellation, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import type { Action, ActionAssessment, AssessActionInput, CommandInput, Report, RiskLevel, RunAgentInput, SignedStandingGrant, TaskError } from '../contracts/index.js';
// Zod-free on purpose: anything imported at runtime here is re-evaluated for every workflow run.
import { maxRisk } from '../contracts/risk-rank.js';
import { ACTIVITY_FAILURES, PROGRESS_SEQ_BLOCK } from '../contracts/failure-codes.js';
import { agentActivities, assessment as assess, durable, durableAssessment, local, opening } from './activity-proxies.js';
import type { ApprovalGate, AskStage, GateOutcome } from './approval-gate.js';
import { ApproverNotices, type AskNotice } from './approver-notices.js';
import type { OpenAsks } from './open-asks.js';
import type { ReportBuilder } from './report-builder.js';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';
import { toTaskError } from './task-error.js';

export type StepOutcome =
  | { kind: 'ran'; result: unknown; risk: RiskLevel }
  | { kind: 'denied'; reason: string; askId: string }
  | { kind: 'expired'; askId: string }
  | { kind: 'failed'; error: TaskError };

/** A step that may run: nothing stops it, or exactly this action was approved (by people or a standing approval). */
export interface ClearedStep {
  kind: 'cleared';
  action: Action;
  verdict: ActionAssessment;
  risk: RiskLevel;
  approval?: RunAgentInput['approval'];
}

/** A step held back: denied, expired or failed before it ran. */
export type HeldStep = Exclude<StepOutcome, { kind: 'ran' }>;

/** A step's action and its first assessment, before anything is asked or run. */
export interface AssessedStep {
  action: Action;
  assessed: Assessed;
}

type Assessed = { verdict: ActionAssessment } | { error: TaskError };

/**
 * How a step's asks are made. Alone, as always: its reports and re-assessments are local activities. Beside other
 * open asks of its plan, only regular activities, since a local one would be outstanding beside a decision's proof
 * check (docs/architecture.md, "Decisions that replay"); its first ask was already reported by the plan.
 */
interface AskMode {
  together: boolean;
  notices: ApproverNotices;
  reported?: { askId: string; expiresAtMs: number };
}

/**
 * The patch under which a plan's calls are all assessed before any runs, and every RED one is asked about at once
 * (each its own ask and digest), so approvers see the whole plan and may decide it in one batch; nothing runs until
 * every ask was approved.
 */
export const PLAN_ASKS_UP_FRONT = 'nexus-plan-asks-up-front';

/** What the planner wrote for the approver, and the model's own risk estimate (which can only raise risk). */
export interface ApproverWords {
  title: string;
  description: string;
  suggestedRisk: RiskLevel;
}

/**
 * The patch under which `task_started` is said by the first step that acts (after its approval, when RED) instead of
 * with `command_accepted`: a share that waits for a person no longer reads as begun.
 */
export const TASK_STARTED_WHEN_ACTING = 'nexus-task-started-when-acting';

/**
 * The patch under which a step's opening reports and its first assessment share one local activity
 * (`publishAndAssess`) instead of two; commands begun before it replay their two.
 */
export const ONE_STEP_BEFORE_AGENT = 'nexus-one-step-before-agent';

/** An approver may edit an action a few times in a row; past that the command fails rather than loop. */
const MAX_EDITS = 3;

interface Edit {
  askId: string;
  editedBy: string;
}

/**
 * Runs one action under policy: assess it on the server, and when it is RED, ask and wait; only an approval
 * lets it run, and then exactly the action approved. An approver's edit is a new action: assessed again and, when
 * it is RED, asked about again, and its editor may not approve it.
 */
export class ActionRunner {
  private step = 0;
  /** Whether a step of this command has been sent off with the command's `task_started` already. */
  private started: boolean;
  private recordedRisk: RiskLevel;
  private readonly activities;
  private readonly notices: ApproverNotices;

  constructor(
    private readonly input: CommandInput,
    private readonly reports: ReportBuilder,
    private readonly gate: ApprovalGate,
    /** Shared with the workflow, which withdraws them when the command is cancelled. */
    private readonly openAsks: OpenAsks,
    /** False for a command begun before TASK_STARTED_WHEN_ACTING: it said task_started at once. */
    startWhenActing: boolean,
  ) {
    this.started = !startWhenActing;
    this.recordedRisk = input.request.risk_level ?? 'GREEN';
    this.activities = agentActivities(input.settings);
    this.notices = new ApproverNotices(input, reports);
  }

  /** `openingReports`: reports still to go out before this step, sent together with its first assessment. */
  async run(action: Action, words?: ApproverWords, openingReports?: Report[]): Promise<StepOutcome> {
    const settled = await this.settle({ action, assessed: await this.assessFirst(action, openingReports) }, words, { together: false, notices: this.notices });
    return settled.kind === 'cleared' ? this.runCleared(settled) : settled;
  }

  /** A step's first assessment, its opening reports (if any) sent with it; nothing is asked or run. */
  async assessFirst(action: Action, openingReports?: Report[]): Promise<Assessed> {
    return openingReports ? this.openAndAssess(openingReports, action) : this.assess(action, []);
  }

  /** Runs a step that was cleared. */
  async runCleared(step: ClearedStep): Promise<StepOutcome> {
    return this.execute(step.action, step.verdict, step.risk, step.approval);
  }

  /**
   * A plan's steps, assessed, cleared together (PLAN_ASKS_UP_FRONT): every RED one is asked about at once, and they
   * wait side by side. The first that is denied, expires or fails ends the others' asks (withdrawn: nothing of the
   * plan ran) and is the answer, with its place in the plan; otherwise every step, in order, with what clears it.
   */
  async clearTogether(steps: AssessedStep[], words: ApproverWords): Promise<{ kind: 'cleared'; steps: ClearedStep[] } | { kind: 'held'; index: number; outcome: HeldStep }> {
    const failed = steps.findIndex((s) => 'error' in s.assessed);
    const failedStep = steps[failed];
    if (failedStep && 'error' in failedStep.assessed) return { kind: 'held', index: failed, outcome: { kind: 'failed', error: failedStep.assessed.error } };
    const expiresAtMs = Date.now() + this.input.settings.ask_timeout_ms;
    const cleared: Array<ClearedStep | undefined> = [];
    const asked: Array<{ index: number; askId: string }> = [];
    const opening: Report[] = [];
    for (const [index, step] of steps.entries()) {
      const { verdict } = step.assessed as { verdict: ActionAssessment };
      const risk = maxRisk(this.input.request.risk_level, verdict.declared_risk, verdict.policy_risk, words.suggestedRisk);
      this.recordRisk(risk);
      if (risk === 'RED' && !verdict.standing) {
        const askId = uuid4();
        asked.push({ index, askId });
        this.opening(askId);
        opening.push(this.askCreated(askId, step.action, verdict, risk, words, [], undefined, expiresAtMs));
      }
      cleared.push(risk === 'RED' ? undefined : { kind: 'cleared', action: step.action, verdict, risk });
    }
    // Asks are reported before any is open in the gate, in one local activity: no ask is open beside it.
    if (opening.length > 0) await local.publishReports(opening);
    let ended: { index: number; outcome: HeldStep } | undefined;
    const scope = new CancellationScope();
    const lanes = asked.map(({ index, askId }) => {
      const step = steps[index] as AssessedStep;
      return scope.run(() => this.settle(step, words, { together: true, notices: new ApproverNotices(this.input, this.reports), reported: { askId, expiresAtMs } }))
        .then((outcome) => {
          if (outcome.kind === 'cleared') cleared[index] = outcome;
          else if (!ended) {
            ended = { index, outcome };
            scope.cancel();
          }
        }, (err: unknown) => {
          // Withdrawn because another ask of the plan ended it; the command's own cancellation goes on up, and any
          // other error ends the other lanes too rather than wait for their decisions.
          if (ended && isCancellation(err)) return;
          scope.cancel();
          throw err;
        });
    });
    // Every lane has ended before anything goes on (a cancelled command included): what is still open is exactly
    // what was never closed on the stream, so nothing is closed twice.
    const failures = (await Promise.allSettled(lanes)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // A decision let in while its ask was still open may be having its proof checked (a local activity): no other
    // local activity of the plan (withdrawals, its end, a cancelled command's end) starts before it is done. Any
    // decision after it finds its ask closed and is refused unchecked.
    await CancellationScope.nonCancellable(() => this.gate.drain());
    if (failures[0]) throw failures[0].reason;
    if (ended) {
      const withdrawn = this.openAsks.withdraw(this.reports, this.gate, `another ask of this plan was ${ended.outcome.kind === 'failed' ? 'followed by a failure' : ended.outcome.kind}; nothing of the plan ran`);
      if (withdrawn.length > 0) await local.publishReports(withdrawn);
      return { kind: 'held', ...ended };
    }
    // Standing approvals are used last, once people approved the rest, so nothing is said to run before it can.
    for (const [index, step] of steps.entries()) {
      if (cleared[index]) continue;
      const settled = await this.settle(step, words, { together: false, notices: this.notices });
      if (settled.kind !== 'cleared') return { kind: 'held', index, outcome: settled };
      cleared[index] = settled;
    }
    return { kind: 'cleared', steps: cleared.filter((c): c is ClearedStep => c !== undefined) };
  }

  /**
   * One step's way to a decision: cleared when nothing stops it, approved ahead by a standing approval, or asked
   * about (again after each edit) until approved, denied or expired.
   */
  private async settle(step: AssessedStep, words: ApproverWords | undefined, mode: AskMode): Promise<ClearedStep | HeldStep> {
    let current = step.action;
    let edit: Edit | undefined;
    const excluded: string[] = [];
    let { assessed } = step;
    let reported = mode.reported;
    for (let edits = 0; ; edits++) {
      if ('error' in assessed) return { kind: 'failed', error: assessed.error };
      const { verdict } = assessed;
      // The model's words and estimate concern the action it proposed, not an approver's edit of it.
      const modelWords = edit ? undefined : words;
      const risk = maxRisk(this.input.request.risk_level, verdict.declared_risk, verdict.policy_risk, modelWords?.suggestedRisk);
      this.recordRisk(risk);
      if (risk !== 'RED') return { kind: 'cleared', action: current, verdict, risk };
      if (verdict.standing) return this.approvedAhead(current, verdict, verdict.standing, risk, modelWords, excluded, edit);

      const askId = reported?.askId ?? uuid4();
      const outcome = await this.ask(askId, current, verdict, risk, modelWords, excluded, edit, mode, reported?.expiresAtMs);
      reported = undefined;
      if (outcome.kind === 'expired') {
        await (mode.together ? durable : local).publishReports([this.reports.build('ask_expired', { ask_id: askId, expired_at: new Date().toISOString() })]);
        this.openAsks.remove(askId);
        return { kind: 'expired', askId };
      }
      const resolved = {
        ask_id: askId,
        decided_by: [...new Set(outcome.decisions.map((d) => d.decided_by))].join(', '),
        decisions: outcome.decisions.map((d) => ({
          decided_by: d.decided_by,
          decision: d.decision,
          reason: d.reason,
          decided_at: d.decided_at,
          action_digest: verdict.action_digest,
        })),
      };
      if (outcome.kind === 'denied') {
        await durable.publishReports([this.reports.build('ask_resolved', { ...resolved, decision: 'deny', reason: outcome.decision.reason })]);
        this.openAsks.remove(askId);
        return { kind: 'denied', reason: outcome.decision.reason ?? 'denied by the approver', askId };
      }
      if (outcome.kind === 'approved') {
        const last = outcome.decisions[outcome.decisions.length - 1];
        await durable.publishReports([this.reports.build('ask_resolved', { ...resolved, decision: 'approve', reason: last?.reason })]);
        this.openAsks.remove(askId);
        // The signed decisions go with the step: the activity checks them itself and uses them once.
        return { kind: 'cleared', action: current, verdict, risk, approval: { ask_id: askId, decisions: outcome.decisions } };
      }
      // Edit and approve: the edited action is assessed before anything is said about it, so the report carries
      // its digest; the editor's approval does not carry over to it.
      const edited: Action = { agent: current.agent, params: outcome.decision.params };
      const editor = outcome.decision.decided_by;
      assessed = await this.assess(edited, excluded.includes(editor) ? excluded : [...excluded, editor], mode.together);
      await durable.publishReports([this.reports.build('ask_resolved', {
        ...resolved,
        decision: 'approve',
        reason: outcome.decision.reason,
        edited_action: edited,
        ...('verdict' in assessed ? { edited_action_digest: assessed.verdict.action_digest } : {}),
        superseded_by_edit: true,
      })]);
      this.openAsks.remove(askId);
      if (edits + 1 >= MAX_EDITS) {
        return { kind: 'failed', error: { code: ACTIVITY_FAILURES.tooManyEdits, message: `an action may be edited at most ${MAX_EDITS} times`, retryable: false } };
      }
      current = edited;
      edit = { askId, editedBy: outcome.decision.decided_by };
      if (!excluded.includes(edit.editedBy)) excluded.push(edit.editedBy);
    }
  }

  /** `together`: asked beside other open asks, so a regular activity (see AskMode). */
  private async assess(action: Action, excluded: string[], together = false): Promise<Assessed> {
    try {
      return { verdict: await (together ? durableAssessment : assess).assessAction(this.assessInput(action, excluded)) };
    } catch (err) {
      // The command is being cancelled: that is its end, not a failed step.
      if (isCancellation(err)) throw err;
      return { error: toTaskError(err) };
    }
  }

  /** The reports go out whatever happens; an assessment that did not succeed there is made again, with retries. */
  private async openAndAssess(reports: Report[], action: Action): Promise<Assessed> {
    const verdict = await opening.publishAndAssess({ reports, ...this.assessInput(action, []) });
    return verdict ? { verdict } : this.assess(action, []);
  }

  private assessInput(action: Action, excluded: string[]): AssessActionInput {
    return { tenant: this.input.tenant, action, correlation_id: this.input.correlation_id, requested_by: this.input.requested_by, ...(excluded.length > 0 ? { excluded: [...excluded] } : {}) };
  }

  /**
   * A standing approval covers this RED action: the ask is recorded and resolved at once, saying which standing
   * approval approved it and with whose approvals, and the step carries the signed grant, which the activity checks
   * again, live, before anything acts.
   */
  private async approvedAhead(
    action: Action, verdict: ActionAssessment, standing: SignedStandingGrant, risk: RiskLevel,
    words: ApproverWords | undefined, excluded: string[], edit: Edit | undefined,
  ): Promise<ClearedStep> {
    const askId = uuid4();
    const { grant } = standing;
    await durable.publishReports([
      this.askCreated(askId, action, verdict, risk, words, excluded, edit, Date.now() + this.input.settings.ask_timeout_ms),
      this.reports.build('ask_resolved', {
        ask_id: askId,
        decision: 'approve',
        decided_by: [...new Set(grant.approvals.map((a) => a.approver))].join(', '),
        reason: grant.reason,
        standing_approval_id: grant.standing_approval_id,
        decisions: grant.approvals.map((a) => ({ decided_by: a.approver, decision: 'approve' as const, decided_at: a.approved_at, action_digest: verdict.action_digest })),
      }),
    ]);
    return { kind: 'cleared', action, verdict, risk, approval: { ask_id: askId, standing } };
  }

  /** `reportedExpiresAtMs`: the ask was reported already (with its plan), expiring then. */
  private async ask(
    askId: string, action: Action, verdict: ActionAssessment, risk: RiskLevel,
    words: ApproverWords | undefined, excluded: string[], edit: Edit | undefined, mode: AskMode, reportedExpiresAtMs?: number,
  ): Promise<GateOutcome> {
    const expiresAtMs = reportedExpiresAtMs ?? Date.now() + this.input.settings.ask_timeout_ms;
    const { notices } = mode;
    if (reportedExpiresAtMs === undefined) {
      this.opening(askId);
      await (mode.together ? durable : local).publishReports([this.askCreated(askId, action, verdict, risk, words, excluded, edit, expiresAtMs)]);
    }
    const notice: AskNotice = { askId, targets: verdict.approval.notify ?? [] };
    notices.send(notice, 'ask');
    let outcome: GateOutcome;
    try {
      outcome = await this.gate.wait(
        { askId, expiresAtMs, digest: verdict.action_digest, approval: verdict.approval, excluded: [...excluded] },
        async (stage) => {
          await this.announceStage(askId, expiresAtMs, verdict, stage);
          if (stage.stage !== 'approval') notices.send(notice, stage.stage);
        },
      );
    } finally {
      await notices.close();
    }
    // The ask stays among the open asks until its closing report is out: cancelled before that, it is withdrawn.
    return outcome;
  }

  /** Before the ask is reported: the command counts it open, and the gate knows a decision for it may come early. */
  private opening(askId: string): void {
    this.openAsks.add(askId);
    this.gate.announce(askId);
  }

  /**
   * Facts first: title, description, preview and reasons are NEXUS's own account of the action; what the planning
   * model wrote travels apart, labelled as such.
   */
  private askCreated(
    askId: string, action: Action, verdict: ActionAssessment, risk: RiskLevel,
    words: ApproverWords | undefined, excluded: string[], edit: Edit | undefined, expiresAtMs: number,
  ): Report {
    const { request } = this.input;
    return this.reports.build('ask_created', {
      ask_id: askId,
      risk_level: risk,
      title: verdict.title,
      description: verdict.description,
      action,
      action_digest: verdict.action_digest,
      options: ['approve', 'deny'],
      expires_at: new Date(expiresAtMs).toISOString(),
      quorum: verdict.approval.quorum,
      separation_of_duties: verdict.approval.separation_of_duties,
      ...(verdict.preview ? { preview: verdict.preview } : {}),
      risk_reasons: [
        `${verdict.declared_risk}: declared by agent ${action.agent}`,
        ...verdict.policy_reasons,
        ...(words ? [`${words.suggestedRisk}: suggested by the planning model`] : []),
        ...(request.risk_level ? [`${request.risk_level}: floor set by the client`] : []),
      ],
      ...(words ? { model_words: { title: words.title, description: words.description } } : {}),
      ...(request.type === 'instruction' ? { instruction: request.text } : {}),
      ...(edit ? { edited_from: { ask_id: edit.askId, edited_by: edit.editedBy } } : {}),
      ...(excluded.length > 0 ? { excluded_deciders: excluded } : {}),
    });
  }

  /** Stages follow a decision (or a timer): announced durably, like the decision itself. */
  private async announceStage(askId: string, expiresAtMs: number, verdict: ActionAssessment, stage: AskStage): Promise<void> {
    await durable.publishReports([this.reports.build('task_progress', {
      message: stage.stage === 'approval'
        ? `${stage.approvals} of ${verdict.approval.quorum} approvals (${stage.decision.decided_by})`
        : stage.stage === 'reminder' ? 'reminder: this ask is still waiting for a decision' : 'escalated: admins may decide this ask too',
      ask: {
        ask_id: askId,
        stage: stage.stage,
        approvals: stage.approvals,
        quorum: verdict.approval.quorum,
        ...(stage.stage === 'approval' ? { decided_by: stage.decision.decided_by } : {}),
        expires_at: new Date(expiresAtMs).toISOString(),
      },
    })]);
  }

  private async execute(action: Action, verdict: ActionAssessment, risk: RiskLevel, approval?: RunAgentInput['approval']): Promise<StepOutcome> {
    // Set aside before progress numbers, so the step's task_started sorts before its progress.
    const startSeq = this.started ? undefined : this.reports.reserve(1);
    this.started = true;
    try {
      const stepInput = {
        ...action,
        workflow_id: this.input.workflow_id,
        correlation_id: this.input.correlation_id,
        command_id: this.input.command_id,
        tenant: this.input.tenant,
        idempotency_key: `${this.input.workflow_id}:step-${this.step++}`,
        ...(startSeq !== undefined ? { start_seq: startSeq } : {}),
        progress_seq_base: verdict.reports_progress ? this.reports.reserve(PROGRESS_SEQ_BLOCK) : -1,
        ...(this.reports.source.report_run ? { report_run: this.reports.source.report_run } : {}),
        ...(approval ? { approval } : {}),
      };
      const result = verdict.remote
        ? await this.activities.runRemoteAgent({ ...stepInput, heartbeat_timeout_ms: this.input.settings.remote_heartbeat_timeout_ms })
        : await this.activities.runAgent(stepInput);
      return { kind: 'ran', result, risk };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = toTaskError(err);
      // For a remote agent, running out of time means nobody answered: say so with the code callers expect.
      if (verdict.remote && error.code === ACTIVITY_FAILURES.agentTimeout) {
        return { kind: 'failed', error: { code: ACTIVITY_FAILURES.agentUnavailable, message: `no remote agent ${action.agent} completed the task in time`, retryable: true } };
      }
      return { kind: 'failed', error };
    }
  }

  /** The API recorded the client's floor at start; only a raised level costs a history event. */
  private recordRisk(risk: RiskLevel): void {
    if (maxRisk(risk, this.recordedRisk) === this.recordedRisk) return;
    this.recordedRisk = risk;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.riskLevel, value: risk }]);
  }
}
