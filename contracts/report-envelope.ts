// Zod-free on purpose: the workflow builds reports with it at runtime.

/** Whose reports these are: the ids every report of a command carries. */
export interface ReportSource {
  workflow_id: string;
  correlation_id: string;
  command_id: string;
  tenant: { org_id: string; project_id: string };
}

/**
 * The one envelope builder (the workflow's reports and an agent's progress reports alike). report_id is
 * `<workflow_id>:<seq>`: stable across retries and replays, so the bridge can drop a duplicate.
 */
export function reportEnvelope(source: ReportSource, seq: number, ts: string) {
  return {
    report_id: `${source.workflow_id}:${seq}`,
    seq,
    correlation_id: source.correlation_id,
    command_id: source.command_id,
    workflow_id: source.workflow_id,
    org_id: source.tenant.org_id,
    project_id: source.tenant.project_id,
    ts,
  };
}
