import { proxyActivities } from '@temporalio/workflow';
import type { createBaselineActivities } from './baseline-activities.js';

const { echo } = proxyActivities<ReturnType<typeof createBaselineActivities>>({ startToCloseTimeout: '30s' });

/** The floor NEXUS is measured against: one workflow, one ordinary activity, no reports, no API, no broker. */
export async function baselineEchoWorkflow(params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return echo(params);
}
