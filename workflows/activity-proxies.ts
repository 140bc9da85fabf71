import { ActivityCancellationType, type ActivityOptions, CancellationScope, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CommandSettings } from '../contracts/index.js';
import type { createActivities } from '../activities/create-activities.js';

export type Activities = ReturnType<typeof createActivities>;

type Publish = Activities['publishReports'];

/**
 * A report is never cut off by the command's cancellation: once built (its seq taken) it goes out, so the stream
 * tells what happened before the cancellation took effect, and the cancelled command's own end goes out after it.
 */
function uncancellable(publish: Publish): { publishReports: Publish } {
  return { publishReports: (reports) => CancellationScope.nonCancellable(() => publish(reports)) };
}

// Publishing is short and local to the worker; a local activity saves a task-queue round trip per report. It
// retries until RabbitMQ is back: a report is never skipped.
export const local = uncancellable(proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
}).publishReports);

/**
 * A step's opening reports and its action's first assessment, in one local activity (activities/publish-and-assess.ts):
 * retried like `local` until the reports are out; the assessment is tried once, so its failure is an answer (null),
 * not a retry. Never cut off by cancellation, for the same reason as `local`.
 */
const { publishAndAssess } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
});
export const opening = {
  publishAndAssess: (input: Parameters<Activities['publishAndAssess']>[0]) => CancellationScope.nonCancellable(() => publishAndAssess(input)),
};

/**
 * Reports that announce what a decision did (`ask_resolved`, an approval stage) go out through a regular
 * activity: it is scheduled only once the workflow task that accepted the `decide` update is committed, so the
 * stream never tells of a decision Temporal lost (a local activity would run before that commit). One task-queue
 * round trip, paid only after a decision.
 */
export const durable = uncancellable(proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
}).publishReports);

/**
 * Assessing reads the policy and makes the agent's preview (which may open a spreadsheet): bounded in attempts so
 * a file that cannot be previewed ends the command instead of retrying forever, and bounded in time per attempt.
 */
const assessmentOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 5, nonRetryableErrorTypes: ['unknown_agent', 'invalid_params', 'policy_invalid'] },
};
export const assessment = proxyLocalActivities<Activities>(assessmentOptions);

/**
 * The same assessment as a regular activity, for an approver's edit while other asks of the plan are open: a local
 * activity there could be outstanding beside a decision's proof check (docs/architecture.md, "Decisions that replay").
 */
export const durableAssessment = proxyActivities<Activities>(assessmentOptions);

/**
 * Checking a decision's proof and auditing the verdict; a few tries, then the decider is told to retry. Bounded
 * in all to less than 80% of the 10 s workflow task timeout: past that the SDK heartbeats the workflow task, a
 * new task may bring a timer or an activity result while the check is still running, and the workflow could
 * start a second local activity beside it (docs/architecture.md, "Decisions that replay").
 */
export const verification = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '7s',
  retry: { initialInterval: '100ms', maximumInterval: '1s', maximumAttempts: 3 },
});

/**
 * Agents and the planner run as ordinary (task-queue) activities with the command's retry policy. Every agent
 * run heartbeats (the activity does it for agents that do not report progress themselves), so a killed worker's
 * step is retried elsewhere within the heartbeat timeout, not after the whole start-to-close timeout.
 */
export function agentActivities(settings: CommandSettings) {
  const retry = {
    maximumAttempts: settings.agent_max_attempts,
    initialInterval: settings.agent_retry_interval_ms,
    backoffCoefficient: 2,
  };
  // Cancelling a command waits for its running agent to stop (it learns of it from its next heartbeat) or to
  // finish: the stream then says which, never "cancelled" for an action that went through.
  const { runAgent } = proxyActivities<Activities>({
    startToCloseTimeout: settings.agent_timeout_ms,
    heartbeatTimeout: settings.agent_heartbeat_timeout_ms,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry,
  });
  // A remote agent proves it is alive by heartbeating; silence means it died and the attempt is retried.
  const { runRemoteAgent } = proxyActivities<Activities>({
    startToCloseTimeout: settings.agent_timeout_ms,
    heartbeatTimeout: settings.remote_heartbeat_timeout_ms,
    retry,
  });
  // One planning attempt may call every provider and correct the model a few times.
  const { planInstruction } = proxyActivities<Activities>({ startToCloseTimeout: settings.llm_timeout_ms * 6, retry });
  return { runAgent, runRemoteAgent, planInstruction };
}
