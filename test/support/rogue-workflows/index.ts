import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../../activities/create-activities.js';

type NexusActivities = ReturnType<typeof createActivities>;

export interface RogueOrder {
  /** The NEXUS worker's task queue: where the rogue schedules the activity it wants run. */
  taskQueue: string;
  activity: 'runAgent' | 'publishReports' | 'publishAndAssess' | 'notifyApprover';
  input: unknown;
}

/**
 * A workflow on somebody else's worker (its own task queue) that asks the NEXUS worker's activities to act, as
 * anyone who reaches Temporal's port can. It reports whether the activity acted, and the failure type if not.
 */
export async function rogueCaller(order: RogueOrder): Promise<{ ok: boolean; code?: string }> {
  const nexus = proxyActivities<NexusActivities>({ taskQueue: order.taskQueue, startToCloseTimeout: '20s', retry: { maximumAttempts: 1 } });
  try {
    if (order.activity === 'runAgent') await nexus.runAgent(order.input as never);
    else if (order.activity === 'publishAndAssess') await nexus.publishAndAssess(order.input as never);
    else if (order.activity === 'notifyApprover') await nexus.notifyApprover(order.input as never);
    else await nexus.publishReports(order.input as never);
    return { ok: true };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    return { ok: false, code: cause instanceof ApplicationFailure ? cause.type ?? 'unknown' : 'unknown' };
  }
}
