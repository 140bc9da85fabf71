import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { CommandInput, DecideInput, RiskLevel, TaskError } from '../contracts/index.js';
// Zod-free on purpose: anything imported at runtime here is re-evaluated for every workflow run.
import { maxRisk } from '../contracts/risk-rank.js';
import type { createActivities } from '../activities/create-activities.js';
import { DECIDE_REJECTIONS, decideUpdate, stateQuery, type CommandState } from './messages.js';
import { ReportBuilder } from './report-builder.js';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';

type Activities = ReturnType<typeof createActivities>;

// Publishing and assessing are short and local to the worker; local activities save a task-queue round trip per
// report. They retry until RabbitMQ is back: a report is never skipped.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '10s', nonRetryableErrorTypes: ['unknown_agent', 'invalid_params'] },
});

export interface CommandOutcome {
  status: 'completed' | 'failed' | 'cancelled' | 'expired';
  result?: unknown;
  error?: TaskError;
}

export async function commandWorkflow(input: CommandInput): Promise<CommandOutcome> {
  const started = Date.now();
  const reports = new ReportBuilder(input);
  const state: CommandState = { status: 'accepted', pending_ask_id: null };
  setHandler(stateQuery, () => state);
  const logAttrs = { correlation_id: input.correlation_id, workflow_id: input.workflow_id };
  const { request } = input;

  // Registered before the first await: an update that reaches a worker replaying this workflow from the start
  // would otherwise be rejected for want of a handler. Until the ask exists, the validator says "not ready" and
  // the API retries.
  let ask: { askId: string; expiresAtMs: number; digest: string } | undefined;
  let decision: DecideInput | undefined;
  setHandler(
    decideUpdate,
    (d) => {
      decision = d;
      return { accepted: true };
    },
    {
      validator: (d) => {
        const foreign = d.tenant.org_id !== input.tenant.org_id || d.tenant.project_id !== input.tenant.project_id;
        if (foreign) reject('no such ask', DECIDE_REJECTIONS.unknownAsk);
        if (ask === undefined) {
          if (state.status === 'accepted' || state.status === 'running') reject('the ask is not ready yet', DECIDE_REJECTIONS.notReady);
          reject('no such ask', DECIDE_REJECTIONS.unknownAsk);
        }
        if (d.ask_id !== ask.askId) reject('no such ask', DECIDE_REJECTIONS.unknownAsk);
        if (decision !== undefined) reject('ask already decided', DECIDE_REJECTIONS.alreadyDecided);
        if (Date.now() >= ask.expiresAtMs) reject('ask expired', DECIDE_REJECTIONS.expired);
        if (d.action_digest !== undefined && d.action_digest !== ask.digest) {
          reject('action_digest does not match the action awaiting approval', DECIDE_REJECTIONS.digestMismatch);
        }
      },
    },
  );
  const agentName = request.type === 'agent.run' ? request.agent : undefined;

  await local.publishReports([
    reports.build('command_accepted', { type: request.type, agent: agentName, risk_floor: request.risk_level }),
    reports.build('task_started', { agent: agentName }),
  ]);
  state.status = 'running';

  const fail = async (error: TaskError): Promise<CommandOutcome> => {
    state.status = 'failed';
    log.warn('command failed', { ...logAttrs, code: error.code });
    await local.publishReports([reports.build('task_failed', { error, duration_ms: Date.now() - started })]);
    return { status: 'failed', error };
  };

  if (request.type === 'instruction') {
    return fail({
      code: 'llm_unavailable',
      message: 'plain-language instructions need an LLM provider; set ANTHROPIC_API_KEY (or OPENAI_API_KEY / GEMINI_API_KEY)',
      retryable: false,
    });
  }

  const action = { agent: request.agent, params: request.params };
  let assessment;
  try {
    assessment = await local.assessAction(action);
  } catch (err) {
    return fail(toTaskError(err));
  }
  const risk: RiskLevel = maxRisk(request.risk_level, assessment.declared_risk);
  // The API set the floor at start; only a raised level costs a history event and a visibility write.
  if (risk !== (request.risk_level ?? 'GREEN')) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.riskLevel, value: risk }]);

  if (risk === 'RED') {
    const askId = uuid4();
    const expiresAtMs = Date.now() + input.settings.ask_timeout_ms;
    ask = { askId, expiresAtMs, digest: assessment.action_digest };
    state.status = 'waiting_for_approval';
    state.pending_ask_id = askId;

    await local.publishReports([
      reports.build('ask_created', {
        ask_id: askId,
        risk_level: risk,
        title: assessment.title,
        description: assessment.description,
        action,
        action_digest: assessment.action_digest,
        options: ['approve', 'deny'],
        expires_at: new Date(expiresAtMs).toISOString(),
      }),
    ]);

    const decided = await condition(() => decision !== undefined, Math.max(1, expiresAtMs - Date.now()));
    state.pending_ask_id = null;
    // Past this point the ask is closed: a late decision is refused as expired or already decided.
    if (!decided || decision === undefined) {
      ask.expiresAtMs = 0;
      state.status = 'expired';
      await local.publishReports([
        reports.build('ask_expired', { ask_id: askId, expired_at: new Date().toISOString() }),
        reports.build('task_cancelled', { reason: 'the approval request expired', ask_id: askId }),
      ]);
      return { status: 'expired' };
    }
    const resolved = reports.build('ask_resolved', {
      ask_id: askId,
      decision: decision.decision,
      decided_by: decision.decided_by,
      reason: decision.reason,
    });
    if (decision.decision === 'deny') {
      state.status = 'cancelled';
      await local.publishReports([
        resolved,
        reports.build('task_cancelled', { reason: decision.reason ?? 'denied by approver', ask_id: askId }),
      ]);
      return { status: 'cancelled' };
    }
    await local.publishReports([resolved]);
    state.status = 'running';
  }

  const { runAgent } = proxyActivities<Activities>({
    startToCloseTimeout: input.settings.agent_timeout_ms,
    retry: {
      maximumAttempts: input.settings.agent_max_attempts,
      initialInterval: input.settings.agent_retry_interval_ms,
      backoffCoefficient: 2,
    },
  });
  try {
    const result = await runAgent({
      ...action,
      workflow_id: input.workflow_id,
      correlation_id: input.correlation_id,
      idempotency_key: `${input.workflow_id}:run`,
    });
    state.status = 'completed';
    await local.publishReports([
      reports.build('task_completed', { result, risk_level: risk, duration_ms: Date.now() - started }),
    ]);
    return { status: 'completed', result };
  } catch (err) {
    return fail(toTaskError(err));
  }
}

function reject(message: string, type: string): never {
  throw ApplicationFailure.create({ message, type, nonRetryable: true });
}

function toTaskError(err: unknown): TaskError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as { retryable?: boolean } | undefined;
    return {
      code: cause.type && /^[a-z][a-z0-9_]{0,63}$/.test(cause.type) ? cause.type : 'agent_failed',
      message: cause.message,
      retryable: details?.retryable ?? !cause.nonRetryable,
    };
  }
  if (err instanceof ActivityFailure && err.cause?.name === 'TimeoutFailure') {
    return { code: 'agent_timeout', message: 'the agent did not finish in time', retryable: true };
  }
  return { code: 'agent_failed', message: err instanceof Error ? err.message : String(err), retryable: true };
}
