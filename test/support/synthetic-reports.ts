import { Report } from '../../contracts/index.js';

/** Valid reports made by hand, for tests that fill a stream faster than real commands could. */
export function syntheticReport(tenant: { org_id: string; project_id: string }, correlationId: string, seq: number, padding = 0): Report {
  return Report.parse({
    report_id: `synthetic/${correlationId}:${seq}`,
    seq,
    report_type: 'task_progress',
    correlation_id: correlationId,
    command_id: correlationId,
    workflow_id: `synthetic/${correlationId}`,
    org_id: tenant.org_id,
    project_id: tenant.project_id,
    ts: new Date().toISOString(),
    payload: { message: 'x'.repeat(padding), done: seq },
  });
}
