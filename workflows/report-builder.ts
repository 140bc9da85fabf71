import { workflowInfo } from '@temporalio/workflow';
import { reportEnvelope, type ReportSource } from '../contracts/report-envelope.js';
import type { CommandInput, Report, ReportOf, ReportPayload, ReportType } from '../contracts/index.js';

/**
 * Numbers the reports of one command. report_id is `<workflow_id>:<seq>` and seq advances only in workflow
 * code, so a retried or replayed publish carries the same id and the bridge can drop the duplicate. A run a reset
 * started numbers from where its history was cut, so its ids also carry its run id: its reports (a refused replay
 * of an approval, say) reach the stream instead of being dropped as the first run's duplicates.
 */
export class ReportBuilder {
  private seq = 0;
  /** Whose reports: the command, and the run when it is not the workflow's first. */
  readonly source: ReportSource;

  constructor(input: CommandInput) {
    const { runId, firstExecutionRunId } = workflowInfo();
    this.source = runId === firstExecutionRunId ? input : { ...input, report_run: runId };
  }

  /** Sets aside `count` seq numbers for reports an activity publishes itself (progress), returning the first. */
  reserve(count: number): number {
    const base = this.seq;
    this.seq += count;
    return base;
  }

  build<T extends ReportType>(type: T, payload: ReportPayload<T>): ReportOf<T> {
    const seq = this.seq++;
    const report = { ...reportEnvelope(this.source, seq, new Date().toISOString()), report_type: type, payload };
    return report as Report as ReportOf<T>;
  }
}
