// Zod-free on purpose: the workflow builds reports with it at runtime.

/** Whose reports these are: the ids every report of a command carries. */
export interface ReportSource {
  workflow_id: string;
  correlation_id: string;
  command_id: string;
  tenant: { org_id: string; project_id: string };
  /**
   * Set only in a run that is not its workflow's first (a reset made it): the run id Temporal gave it. Its reports
   * then carry their own ids instead of taking over the ids the first run already used.
   */
  report_run?: string | undefined;
}

/**
 * The one envelope builder (the workflow's reports and an agent's progress reports alike). report_id is
 * `<workflow_id>:<seq>`, and `<workflow_id>:<seq>@<run_id>` in a later run of the same workflow: stable across
 * retries and replays, so the bridge can drop a duplicate, and never shared between two runs.
 */
export function reportEnvelope(source: ReportSource, seq: number, ts: string) {
  return {
    report_id: reportId(source.workflow_id, seq, source.report_run),
    seq,
    correlation_id: source.correlation_id,
    command_id: source.command_id,
    workflow_id: source.workflow_id,
    org_id: source.tenant.org_id,
    project_id: source.tenant.project_id,
    ts,
  };
}

export function reportId(workflowId: string, seq: number, run: string | undefined): string {
  return run === undefined ? `${workflowId}:${seq}` : `${workflowId}:${seq}@${run}`;
}
