import { reportEnvelope } from '../contracts/report-envelope.js';
import type { CommandInput, Report, ReportOf, ReportPayload, ReportType } from '../contracts/index.js';

/**
 * Numbers the reports of one command. report_id is `<workflow_id>:<seq>` and seq advances only in workflow
 * code, so a retried or replayed publish carries the same id and the bridge can drop the duplicate.
 */
export class ReportBuilder {
  private seq = 0;

  constructor(private readonly input: CommandInput) {}

  /** Sets aside `count` seq numbers for reports an activity publishes itself (progress), returning the first. */
  reserve(count: number): number {
    const base = this.seq;
    this.seq += count;
    return base;
  }

  build<T extends ReportType>(type: T, payload: ReportPayload<T>): ReportOf<T> {
    const seq = this.seq++;
    const report = { ...reportEnvelope(this.input, seq, new Date().toISOString()), report_type: type, payload };
    return report as Report as ReportOf<T>;
  }
}
