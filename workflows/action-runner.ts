import { upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import type { Action, CommandInput, RiskLevel, TaskError } from '../contracts/index.js';
// Zod-free on purpose: anything imported at runtime here is re-evaluated for every workflow run.
import { maxRisk } from '../contracts/risk-rank.js';
import { local, remoteActivities } from './activity-proxies.js';
import type { ApprovalGate } from './approval-gate.js';
import type { CommandState } from './messages.js';
import type { ReportBuilder } from './report-builder.js';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';
import { toTaskError } from './task-error.js';
import { PROGRESS_SEQ_BLOCK } from '../activities/activity-types.js';

export type StepOutcome =
  | { kind: 'ran'; result: unknown; risk: RiskLevel }
  | { kind: 'denied'; reason: string; askId: string }
  | { kind: 'expired'; askId: string }
  | { kind: 'failed'; error: TaskError };

/** What the planner wrote for the approver, and the model's own risk estimate (which can only raise risk). */
export interface ApproverWords {
  title: string;
  description: string;
  suggestedRisk: RiskLevel;
}

/**
 * Runs one action under policy: assess it on the server, and when it is RED, ask and wait; only an approval
 * lets it run, and then exactly the action approved (or the approver's edit of it).
 */
export class ActionRunner {
  private step = 0;
  private recordedRisk: RiskLevel;
  private readonly activities;

  constructor(
    private readonly input: CommandInput,
    private readonly reports: ReportBuilder,
    private readonly gate: ApprovalGate,
    private readonly state: CommandState,
  ) {
    this.recordedRisk = input.request.risk_level ?? 'GREEN';
    this.activities = remoteActivities(input.settings);
  }

  async run(action: Action, words?: ApproverWords): Promise<StepOutcome> {
    const { tenant, settings } = this.input;
    let assessment;
    try {
      assessment = await local.assessAction({ tenant, action });
    } catch (err) {
      return { kind: 'failed', error: toTaskError(err) };
    }
    const risk = maxRisk(this.input.request.risk_level, assessment.declared_risk, assessment.policy_risk, words?.suggestedRisk);
    this.recordRisk(risk);

    let approved = action;
    if (risk === 'RED') {
      const askId = uuid4();
      const expiresAtMs = Date.now() + settings.ask_timeout_ms;
      this.state.status = 'waiting_for_approval';
      this.state.pending_ask_id = askId;
      await local.publishReports([
        this.reports.build('ask_created', {
          ask_id: askId,
          risk_level: risk,
          title: words?.title ?? assessment.title,
          description: words ? `${words.description}\n\n${assessment.description}` : assessment.description,
          action,
          action_digest: assessment.action_digest,
          options: ['approve', 'deny'],
          expires_at: new Date(expiresAtMs).toISOString(),
          quorum: assessment.approval.quorum,
          separation_of_duties: assessment.approval.separation_of_duties,
          ...(assessment.preview ? { preview: assessment.preview } : {}),
          risk_reasons: [
            `${assessment.declared_risk}: declared by agent ${action.agent}`,
            ...assessment.policy_reasons,
            ...(words ? [`${words.suggestedRisk}: suggested by the planner`] : []),
            ...(this.input.request.risk_level ? [`${this.input.request.risk_level}: floor set by the client`] : []),
          ],
        }),
      ]);
      const outcome = await this.gate.wait(
        { askId, expiresAtMs, digest: assessment.action_digest, approval: assessment.approval },
        (stage) => local.publishReports([this.reports.build('task_progress', {
          message: stage.stage === 'approval'
            ? `${stage.approvals} of ${assessment.approval.quorum} approvals (${stage.decision.decided_by})`
            : stage.stage === 'reminder' ? 'reminder: this ask is still waiting for a decision' : 'escalated: admins may decide this ask too',
          ask: {
            ask_id: askId,
            stage: stage.stage,
            approvals: stage.approvals,
            quorum: assessment.approval.quorum,
            ...(stage.stage === 'approval' ? { decided_by: stage.decision.decided_by } : {}),
            expires_at: new Date(expiresAtMs).toISOString(),
          },
        })]),
      );
      this.state.pending_ask_id = null;
      if (outcome.kind === 'expired') {
        await local.publishReports([this.reports.build('ask_expired', { ask_id: askId, expired_at: new Date().toISOString() })]);
        return { kind: 'expired', askId };
      }
      const decisions = outcome.decisions.map((d) => ({
        decided_by: d.decided_by,
        decision: d.decision,
        reason: d.reason,
        decided_at: d.decided_at,
        action_digest: assessment.action_digest,
      }));
      const decision = outcome.kind === 'denied' ? outcome.decision : outcome.decisions[outcome.decisions.length - 1];
      if (!decision) return { kind: 'expired', askId };
      const resolved = {
        ask_id: askId,
        decision: decision.decision,
        decided_by: [...new Set(outcome.decisions.map((d) => d.decided_by))].join(', '),
        reason: decision.reason,
        decisions,
      };
      if (outcome.kind === 'denied') {
        await local.publishReports([this.reports.build('ask_resolved', resolved)]);
        return { kind: 'denied', reason: decision.reason ?? 'denied by the approver', askId };
      }
      if (decision.params !== undefined) {
        // Edit and approve: the edit is validated and assessed again, and recorded as exactly what will run.
        approved = { agent: action.agent, params: decision.params };
        try {
          const edited = await local.assessAction({ tenant, action: approved });
          this.recordRisk(maxRisk(risk, edited.declared_risk, edited.policy_risk));
          await local.publishReports([this.reports.build('ask_resolved', { ...resolved, edited_action: approved, edited_action_digest: edited.action_digest })]);
        } catch (err) {
          await local.publishReports([this.reports.build('ask_resolved', { ...resolved, edited_action: approved })]);
          return { kind: 'failed', error: toTaskError(err) };
        }
      } else {
        await local.publishReports([this.reports.build('ask_resolved', resolved)]);
      }
      this.state.status = 'running';
    }

    try {
      const stepInput = {
        ...approved,
        workflow_id: this.input.workflow_id,
        correlation_id: this.input.correlation_id,
        command_id: this.input.command_id,
        tenant: this.input.tenant,
        idempotency_key: `${this.input.workflow_id}:step-${this.step++}`,
        progress_seq_base: assessment.reports_progress ? this.reports.reserve(PROGRESS_SEQ_BLOCK) : -1,
      };
      const result = assessment.remote
        ? await this.activities.runRemoteAgent({ ...stepInput, heartbeat_timeout_ms: settings.remote_heartbeat_timeout_ms })
        : assessment.reports_progress
          ? await this.activities.runHeartbeatingAgent(stepInput)
          : await this.activities.runAgent(stepInput);
      return { kind: 'ran', result, risk };
    } catch (err) {
      const error = toTaskError(err);
      // For a remote agent, running out of time means nobody answered: say so with the code callers expect.
      if (assessment.remote && error.code === 'agent_timeout') {
        return { kind: 'failed', error: { code: 'agent_unavailable', message: `no remote agent ${approved.agent} completed the task in time`, retryable: true } };
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
