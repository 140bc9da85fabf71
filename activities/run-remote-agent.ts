import { ApplicationFailure, CompleteAsyncError, Context } from '@temporalio/activity';
import type { Logger } from '../infra/logger.js';
import { NoAgentListeningError, type RemoteTaskPublisher } from '../agents/remote/remote-task-publisher.js';
import type { RemoteTopology } from '../agents/remote/remote-topology.js';
import { EFFECT_REFUSALS, type RunAgentInput } from '../contracts/index.js';
import type { ReportPublisher } from '../infra/messaging/report-publisher.js';
import type { AuthorizeStep } from './effect-authority.js';
import { stepStartedReport } from './step-started.js';

/**
 * Hands the task to a remote agent over `nexus.tasks` and returns without a result: the agent's reply completes
 * the activity asynchronously. A dead agent stops heartbeating and the attempt times out and is retried.
 */
export function createRunRemoteAgent(deps: { authorize: AuthorizeStep; remote: RemoteTaskPublisher | undefined; topology: RemoteTopology; publisher: ReportPublisher; logger: Logger }) {
  return async function runRemoteAgent(scheduled: RunAgentInput & { heartbeat_timeout_ms: number }): Promise<unknown> {
    const ctx = Context.current();
    // The remote agent acts on NEXUS's word: the step shows its authority here, before the task leaves.
    const { input } = await deps.authorize(scheduled);
    const heartbeatTimeoutMs = scheduled.heartbeat_timeout_ms;
    if (!Number.isInteger(heartbeatTimeoutMs) || heartbeatTimeoutMs <= 0) {
      throw ApplicationFailure.create({ type: EFFECT_REFUSALS.foreign, message: 'the step carries no valid heartbeat timeout', nonRetryable: true });
    }
    if (!deps.remote) throw ApplicationFailure.create({ type: 'agent_unavailable', message: 'remote agents are not enabled in this worker', nonRetryable: true });
    const started = stepStartedReport(input);
    if (started) await deps.publisher.publish([started]);
    try {
      await deps.remote.publish({
        task_token: ctx.info.base64TaskToken,
        agent: input.agent,
        params: input.params,
        correlation_id: input.correlation_id,
        workflow_id: input.workflow_id,
        idempotency_key: input.idempotency_key,
        attempt: ctx.info.attempt,
        heartbeat_timeout_ms: heartbeatTimeoutMs,
        reply_to: deps.topology.repliesQueue,
      });
    } catch (err) {
      if (err instanceof NoAgentListeningError) {
        deps.logger.warn({ correlation_id: input.correlation_id, agent: input.agent, attempt: ctx.info.attempt }, err.message);
        throw ApplicationFailure.create({ type: 'agent_unavailable', message: err.message, nonRetryable: false, details: [{ retryable: true }] });
      }
      throw err;
    }
    deps.logger.info({ correlation_id: input.correlation_id, agent: input.agent, attempt: ctx.info.attempt }, 'task handed to remote agent');
    throw new CompleteAsyncError();
  };
}
