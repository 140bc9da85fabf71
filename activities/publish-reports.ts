import { EFFECT_REFUSALS, reportId, workflowIdFor, type Report } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import type { ReportPublisher } from '../infra/messaging/report-publisher.js';
import type { AuditLog } from '../infra/store/audit-log.js';
import { refuseEffect, schedulingExecution } from './effect-refusal.js';

/**
 * Publishes a workflow's reports, and only its own: every report must name the command of the workflow Temporal
 * says scheduled this activity, under an id of that workflow (and, past its first run, of that run). A workflow
 * started elsewhere (a rogue worker's, on its own task queue) cannot make the NEXUS worker write onto another
 * command's stream, nor resolve another command's ask, nor take a report id another run owns.
 */
export function createPublishReports(deps: { publisher: ReportPublisher; audit: AuditLog; logger: Logger }) {
  return async function publishReports(reports: Report[]): Promise<void> {
    const { workflow_id: real, run_id: run } = schedulingExecution();
    // The id too: `<workflow>:<seq>`, or with this run's id, so no report takes an id another run or workflow owns.
    const foreign = reports.find((r) => r.workflow_id !== real
      || workflowIdFor({ org_id: r.org_id, project_id: r.project_id }, r.command_id) !== real
      || (r.report_id !== reportId(real, r.seq, undefined) && r.report_id !== reportId(real, r.seq, run)));
    if (foreign) {
      await refuseEffect(deps, EFFECT_REFUSALS.foreign, 'a report names another command, or another run, than the one that scheduled it', { correlation_id: String(foreign.correlation_id) });
    }
    await deps.publisher.publish(reports);
    for (const r of reports) {
      deps.logger.debug({ correlation_id: r.correlation_id, report_id: r.report_id, report_type: r.report_type }, 'report published');
    }
  };
}
