import type { Client } from '@temporalio/client';
import type { Tenant } from '../../contracts/index.js';
import type { ResultLookup } from './report-summarize-agent.js';

/**
 * Looks the earlier command up by its search attributes, scoped to the tenant: a correlation id of another
 * project is simply not found. Correlation ids are client keys ([A-Za-z0-9_.:-]), so they cannot break the query.
 */
export function temporalResultLookup(client: Client): ResultLookup {
  return async (tenant: Tenant, correlationId: string) => {
    const query = `NexusCorrelationId = '${correlationId}' AND NexusOrgId = '${tenant.org_id}' AND NexusProjectId = '${tenant.project_id}' AND ExecutionStatus = 'Completed'`;
    for await (const workflow of client.workflow.list({ query })) {
      const outcome = (await client.workflow.getHandle(workflow.workflowId).result()) as { status?: string; result?: unknown };
      if (outcome?.status === 'completed') return outcome.result ?? null;
    }
    return undefined;
  };
}
