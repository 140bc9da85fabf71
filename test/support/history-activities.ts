import type { WorkflowHandle } from '@temporalio/client';

export interface RanActivity {
  /** A local activity's type (from its marker), or `activity:<type>` for one scheduled on the task queue. */
  type: string;
  /** The attempt that ended it (a task-queue activity: the attempt that started last). */
  attempt: number;
}

/** Every activity a finished workflow ran, in history order, local ones (markers) included. */
export async function historyActivities(handle: WorkflowHandle): Promise<RanActivity[]> {
  // Reports published from inside the last workflow task: their markers are in the history once the workflow ends.
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  return (history.events ?? []).flatMap((e) => {
    const scheduledAttrs = e.activityTaskScheduledEventAttributes;
    if (scheduledAttrs) scheduled.set(String(e.eventId), scheduledAttrs.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started) return [{ type: `activity:${scheduled.get(String(started.scheduledEventId)) ?? ''}`, attempt: started.attempt ?? 0 }];
    if (e.markerRecordedEventAttributes?.markerName !== 'core_local_activity') return [];
    const data = e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data;
    if (!data) return [];
    const marker = JSON.parse(Buffer.from(data).toString()) as { activity_type: string; attempt: number };
    return [{ type: marker.activity_type, attempt: marker.attempt }];
  });
}
