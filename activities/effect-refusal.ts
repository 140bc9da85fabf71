import { ApplicationFailure, Context } from '@temporalio/activity';
import { commandOfWorkflowId, type EffectRefusalCode } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import { SECURITY_LOG, type AuditLog } from '../infra/store/audit-log.js';

/** The execution Temporal says scheduled the running activity: what its authority is checked against. */
export function schedulingExecution(): { workflow_id: string; run_id: string; activity_id: string } {
  const info = Context.current().info;
  // Absent only for an activity started on its own, outside any workflow: then it names no command at all.
  const scheduler = info.workflowExecution as typeof info.workflowExecution | undefined;
  return { workflow_id: scheduler?.workflowId ?? '', run_id: scheduler?.runId ?? '', activity_id: info.activityId };
}

/**
 * Refuses an activity's effect for good: audited in the org of the workflow that really scheduled it (the security
 * log when it names none), logged, and thrown as a final failure with a stable code.
 */
export async function refuseEffect(
  deps: { audit: AuditLog; logger: Logger },
  code: EffectRefusalCode,
  message: string,
  claimed: { agent?: string; ask_id?: string; correlation_id?: string },
): Promise<never> {
  const execution = schedulingExecution();
  const real = commandOfWorkflowId(execution.workflow_id);
  await deps.audit.append(real?.tenant.org_id ?? SECURITY_LOG, {
    event: 'effect_refused',
    activity: Context.current().info.activityType,
    ...(claimed.agent ? { agent: claimed.agent.slice(0, 100) } : {}),
    ...execution,
    ...(claimed.ask_id ? { ask_id: claimed.ask_id.slice(0, 64) } : {}),
    ...(real ? { project_id: real.tenant.project_id } : {}),
    code,
  });
  deps.logger.warn({ correlation_id: claimed.correlation_id?.slice(0, 128), ...execution, code }, `effect refused: ${message}`);
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}
