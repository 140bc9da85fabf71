import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { AgentError } from '../agents/agent-error.js';
import type { ProgressUpdate } from '../agents/agent.js';
import type { Report } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import type { LlmRouter } from '../infra/llm/llm-router.js';
import type { ReportPublisher } from '../infra/messaging/report-publisher.js';
import { PROGRESS_SEQ_BLOCK, reportEnvelope, type RunAgentInput } from '../contracts/index.js';
import type { AuthorizeStep } from './effect-authority.js';
import { stepStartedReport } from './step-started.js';

/**
 * Runs one agent with everything its context promises, once the step has shown its authority (anyone who reaches
 * Temporal can schedule this activity); AgentErrors become typed, stable Temporal failures.
 */
export function createRunAgent(deps: { authorize: AuthorizeStep; publisher: ReportPublisher; llm: LlmRouter; logger: Logger }) {
  return async function runAgent(scheduled: RunAgentInput): Promise<unknown> {
    const ctx = Context.current();
    const { input, agent, params } = await deps.authorize(scheduled);
    const log = deps.logger.child({ correlation_id: input.correlation_id, workflow_id: input.workflow_id, agent: agent.name });
    // Said before the agent acts, and not best effort: a step that cannot say it started does not start.
    const started = stepStartedReport(input);
    if (started) await deps.publisher.publish([started]);
    log.info({ attempt: ctx.info.attempt }, 'agent run started');
    const progress = async (update: ProgressUpdate) => {
      if (input.progress_seq_base < 0 || !Number.isInteger(update.index) || update.index < 0 || update.index >= PROGRESS_SEQ_BLOCK) return;
      const seq = input.progress_seq_base + update.index;
      const report: Report = {
        ...reportEnvelope(input, seq, new Date().toISOString()),
        report_type: 'task_progress',
        payload: { message: update.message, done: update.done, total: update.total },
      };
      // Progress is best effort: a RabbitMQ flap must not fail a step that may already have acted on the world.
      await deps.publisher.publish([report]).catch((err: unknown) => log.warn({ err: (err as Error).message, index: update.index }, 'progress report not published'));
    };
    // Every agent run heartbeats, so a killed worker is noticed within the heartbeat timeout. Agents that
    // heartbeat themselves (with resume details) set what is sent; in between, the last details are repeated.
    let lastDetails: unknown = ctx.info.heartbeatDetails;
    const heartbeat = (details?: unknown) => {
      lastDetails = details;
      ctx.heartbeat(details);
    };
    const everyMs = Math.max(1_000, Math.floor((ctx.info.heartbeatTimeoutMs ?? 30_000) / 3));
    const pulse = setInterval(() => ctx.heartbeat(lastDetails), everyMs);
    try {
      const result = await agent.run(params, {
        idempotencyKey: input.idempotency_key,
        correlationId: input.correlation_id,
        workflowId: input.workflow_id,
        tenant: input.tenant,
        attempt: ctx.info.attempt,
        signal: ctx.cancellationSignal,
        logger: log,
        heartbeat,
        heartbeatDetails: ctx.info.heartbeatDetails,
        progress,
        llm: deps.llm.configured ? deps.llm : undefined,
      });
      log.info('agent run finished');
      return result ?? null;
    } catch (err) {
      // Stopped by its command's cancellation (or the worker's shutdown): the SDK's own CancelledFailure tells
      // Temporal which, and the workflow learns the agent stopped rather than failed.
      if (ctx.cancellationSignal.aborted) {
        log.info({ reason: String(ctx.cancellationSignal.reason) }, 'agent run stopped');
        throw ctx.cancellationSignal.reason instanceof CancelledFailure ? ctx.cancellationSignal.reason : new CancelledFailure('agent run stopped');
      }
      if (err instanceof AgentError) {
        log.warn({ code: err.code, retryable: err.retryable, attempt: ctx.info.attempt }, err.message);
        throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, details: [{ retryable: err.retryable }] });
      }
      log.error({ err: (err as Error).message }, 'agent crashed');
      throw err;
    } finally {
      clearInterval(pulse);
    }
  };
}
