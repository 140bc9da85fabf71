import { ApplicationFailure, log, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { PAYLOAD_REFUSED } from '../contracts/failure-codes.js';
import { describeRefusal, refusalAmong } from '../contracts/refused-payload.js';

/**
 * Workflow interceptors (bundled with the workflows): whatever reaches a NEXUS workflow in a payload NEXUS did not
 * encrypt is refused here, before any workflow code sees it. A client without the payload key cannot express a
 * command, a decision or an activity result: its input fails the workflow with `payload_refused`, its update is
 * rejected by the validator (so Temporal records nothing), its signal is dropped, and a refused activity result
 * fails the step. Nothing here throws inside an activation in a way that could wedge the workflow on replay.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        const refusal = refusalAmong(input.args);
        if (refusal) throw ApplicationFailure.create({ type: PAYLOAD_REFUSED, message: describeRefusal('the workflow input', refusal), nonRetryable: true });
        return next(input);
      },
      validateUpdate(input, next) {
        const refusal = refusalAmong(input.args);
        if (refusal) throw ApplicationFailure.create({ type: PAYLOAD_REFUSED, message: describeRefusal(`the ${input.name} update`, refusal), nonRetryable: true });
        next(input);
      },
      async handleSignal(input, next) {
        const refusal = refusalAmong(input.args);
        if (refusal) {
          // NEXUS sends no signals; one that cannot be read is logged and dropped, never left to fail a task.
          log.warn('signal refused', { signal: input.signalName, reason: refusal.reason });
          return;
        }
        await next(input);
      },
      async handleQuery(input, next) {
        const refusal = refusalAmong(input.args);
        if (refusal) throw ApplicationFailure.create({ type: PAYLOAD_REFUSED, message: describeRefusal(`the ${input.queryName} query`, refusal), nonRetryable: true });
        return next(input);
      },
    },
  ],
  outbound: [
    {
      async scheduleActivity(input, next) {
        return checkedResult(input.activityType, await next(input));
      },
      async scheduleLocalActivity(input, next) {
        return checkedResult(input.activityType, await next(input));
      },
    },
  ],
});

/** Only a NEXUS worker can encrypt an activity result: one that is not came from someone else polling the queue. */
function checkedResult(activityType: string, result: unknown): unknown {
  const refusal = refusalAmong([result]);
  if (refusal) throw ApplicationFailure.create({ type: PAYLOAD_REFUSED, message: describeRefusal(`the result of ${activityType}`, refusal), nonRetryable: true });
  return result;
}
