import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { PAYLOAD_REFUSED } from '../contracts/failure-codes.js';
import { describeRefusal, refusalAmong } from '../contracts/refused-payload.js';
import type { Logger } from '../infra/logger.js';
import { SECURITY_LOG, type AuditLog } from '../infra/store/audit-log.js';
import type { RefusalBudget } from '../infra/store/refusal-budget.js';

/**
 * Refuses, before any activity code runs, an activity whose input NEXUS did not encrypt: only a NEXUS workflow
 * (or a holder of the payload key) can schedule work the worker will read. Whoever can reach Temporal's port can
 * still schedule activities on the NEXUS task queue; what they send arrives as a refusal marker (the codec never
 * throws), is logged, audited in the security log within `refusals`, and fails the activity for good.
 */
export function payloadGuard(deps: { audit: AuditLog; refusals: RefusalBudget; logger: Logger }): ActivityInterceptorsFactory {
  const log = deps.logger.child({ module: 'payload-guard' });
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const refusal = refusalAmong(input.args);
        if (!refusal) return next(input);
        const { info } = ctx;
        // Absent only for an activity started on its own, outside any workflow.
        const scheduler = info.workflowExecution as typeof info.workflowExecution | undefined;
        const execution = { workflow_id: scheduler?.workflowId ?? '', run_id: scheduler?.runId ?? '', activity_id: info.activityId };
        const message = describeRefusal(`the input of ${info.activityType}`, refusal);
        log.warn({ ...execution, activity: info.activityType, reason: refusal.reason }, message);
        const subject = { key: 'payloads:refused', org: SECURITY_LOG, principal: 'temporal task queue', principal_kind: 'temporal' };
        try {
          if ((await deps.refusals.spend(subject)) === 'write') {
            await deps.audit.append(SECURITY_LOG, { event: 'payload_refused', activity: info.activityType, ...execution, ...refusal });
          }
        } catch (err) {
          // The refusal stands whether or not it could be written down.
          log.warn({ ...execution, err: (err as Error).message }, 'refused payload could not be audited');
        }
        throw ApplicationFailure.create({ type: PAYLOAD_REFUSED, message, nonRetryable: true });
      },
    },
  });
}
