import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { ClientKey, TenantId, workflowIdFor, type Tenant } from '../../contracts/index.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

/** A pass's Temporal calls give up after this long: a stopping API waits at most this for the pass in flight. */
const CALL_DEADLINE_MS = 10_000;

export interface NexusCommandSource {
  workflow_id: string;
  correlation_id: string;
  command_id: string;
  tenant: Tenant;
}

/**
 * The command a workflow is, when its id is the one its claimed tenant and command_id derive. Memo and search
 * attributes are set by whoever started the workflow; only a match with the id NEXUS derives makes them a command's.
 */
export function nexusCommandOf(execution: WorkflowExecutionInfo): NexusCommandSource | undefined {
  const memo = execution.memo as { correlation_id?: unknown; command_id?: unknown } | undefined;
  const orgId = TenantId.safeParse(execution.typedSearchAttributes.get(SEARCH_ATTRIBUTES.orgId));
  const projectId = TenantId.safeParse(execution.typedSearchAttributes.get(SEARCH_ATTRIBUTES.projectId));
  const correlationId = ClientKey.safeParse(memo?.correlation_id);
  const commandId = ClientKey.safeParse(memo?.command_id);
  if (!orgId.success || !projectId.success || !correlationId.success || !commandId.success) return undefined;
  const tenant = { org_id: orgId.data, project_id: projectId.data };
  if (workflowIdFor(tenant, commandId.data) !== execution.workflowId) return undefined;
  return { workflow_id: execution.workflowId, correlation_id: correlationId.data, command_id: commandId.data, tenant };
}

/**
 * A check's call to Temporal, bounded by a deadline so `stop()` (which waits for the pass in flight) ends in bounded
 * time. Not aborted: the client's retry timers outlive an aborted call and would fire on the closed connection; a
 * call that reaches its deadline has none left.
 */
export function withTemporalDeadline<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, fn);
}

/** The visibility query of NEXUS's commands on one task queue (quotes cannot break out of it). */
export function commandsQuery(taskQueue: string, condition: string): string {
  return `WorkflowType = 'commandWorkflow' AND TaskQueue = '${taskQueue.replace(/'/g, '')}' AND ${condition}`;
}
