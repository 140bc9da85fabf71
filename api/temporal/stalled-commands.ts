import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { reportEnvelope, type ReportOf, type StallNotice, type StalledCommands } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import type { ReportPublisher } from '../../infra/messaging/report-publisher.js';
import type { ReportStore } from '../../infra/store/report-store.js';
import type { StallRecord, StalledRegistry } from '../../infra/store/stalled-registry.js';
import { commandsQuery, nexusCommandOf, withTemporalDeadline } from './command-executions.js';
import type { TemporalCheck } from './periodic-checks.js';

/** Set by the Temporal server once a workflow's task has failed a few times in a row (server 1.28 and later). */
const REPORTED_PROBLEMS = defineSearchAttributeKey('TemporalReportedProblems', SearchAttributeType.KEYWORD_LIST);
const SAMPLE = 100;

export interface StallReporting {
  publisher: ReportPublisher;
  store: ReportStore;
  registry: StalledRegistry;
}

/**
 * Watches Temporal for NEXUS commands stuck on a failing workflow task (a replay that no longer matches its
 * history, a bug that throws on every attempt): such a command stays `Running` and its workflow says nothing more.
 * Each one is logged (with its correlation_id), counted on `/health`, and reported on its stream as a
 * `task_progress` with `stalled`, so its card stops spinning; when it moves again without a report of its own, a
 * second one says so. Temporal's `TemporalReportedProblems` search attribute does the finding, so a pass is one
 * count and one short list whatever the number of commands.
 *
 * The stall report is written from outside the workflow, so it takes the highest seq the store holds for the
 * command (the stream order puts it after that report, and any later report of the workflow has a higher seq) and
 * an id named after the stall, which every API process derives alike. It is written only for a workflow that is
 * the command its tenant and command_id name and whose reports the store holds, unfinished: what the workflow's
 * memo and search attributes claim (anyone who can start a workflow sets them) cannot put a card on a stream.
 */
export class StalledCommandsWatch implements TemporalCheck {
  readonly name = 'stalled-commands';
  private latestSummary: StalledCommands | undefined;
  private known = new Map<string, string>();
  private readonly log: Logger;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    logger: Logger,
    private readonly reporting?: StallReporting,
  ) {
    this.log = logger.child({ module: 'stalled-commands' });
  }

  latest(): StalledCommands | undefined {
    return this.latestSummary;
  }

  async check(): Promise<StalledCommands> {
    const query = commandsQuery(this.taskQueue, `ExecutionStatus = 'Running' AND TemporalReportedProblems IS NOT NULL`);
    const { count, executions } = await this.temporal(async () => {
      const { count: total } = await this.client.workflow.count(query);
      const found: WorkflowExecutionInfo[] = [];
      for await (const execution of this.client.workflow.list({ query, pageSize: SAMPLE })) {
        found.push(execution);
        if (found.length >= SAMPLE) break;
      }
      return { count: total, executions: found };
    });
    const reported = this.reporting ? await this.reporting.registry.all() : new Map<string, StallRecord>();
    const causes: Record<string, number> = {};
    const seen = new Map<string, string>();
    for (const execution of executions) {
      const problems = execution.typedSearchAttributes.get(REPORTED_PROBLEMS) ?? [];
      const cause = problems.find((p) => p.startsWith('cause='))?.slice('cause='.length).replace(/^WorkflowTaskFailedCause/, '') ?? 'unknown';
      causes[cause] = (causes[cause] ?? 0) + 1;
      const correlationId = (execution.memo as { correlation_id?: string } | undefined)?.correlation_id;
      seen.set(execution.workflowId, correlationId ?? '');
      // Once per stall and process: a workflow refused a report (not a NEXUS command) is not looked at every pass.
      if (!this.known.has(execution.workflowId)) {
        this.log.error({ correlation_id: correlationId, workflow_id: execution.workflowId, problems }, 'command stalled: its workflow task keeps failing, so it makes no progress');
        if (!reported.has(execution.workflowId)) await this.reportStall(execution, cause);
      }
    }
    // Only a full list tells which commands stopped being stalled.
    const complete = count < SAMPLE;
    for (const [workflowId, correlationId] of this.known) {
      if (!seen.has(workflowId) && complete) this.log.info({ correlation_id: correlationId, workflow_id: workflowId }, 'command no longer stalled');
    }
    if (complete) {
      for (const [workflowId, record] of reported) if (!seen.has(workflowId)) await this.reportMoving(workflowId, record);
    }
    this.known = seen;
    this.latestSummary = { count, causes, checked_at: new Date().toISOString() };
    return this.latestSummary;
  }

  private async reportStall(execution: WorkflowExecutionInfo, rawCause: string): Promise<void> {
    if (!this.reporting) return;
    const source = nexusCommandOf(execution);
    if (!source) {
      this.log.warn({ workflow_id: execution.workflowId }, 'stalled workflow is not a NEXUS command (its id is not the one its tenant and command_id name): nothing reported on a stream');
      return;
    }
    const progress = await this.reporting.store.progress(source.tenant, execution.workflowId);
    if (!progress || progress.terminal) {
      this.log.warn({ correlation_id: source.correlation_id, workflow_id: execution.workflowId, stored: progress }, 'stalled workflow has no unfinished command on its stream: nothing reported on it');
      return;
    }
    const historyLength = execution.historyLength;
    const notice: StallNotice = { state: 'stalled', cause: /^[A-Za-z]{1,64}$/.test(rawCause) ? rawCause : 'unknown', since: new Date().toISOString() };
    await this.reporting.publisher.publish([stallReport(source, progress.seq, `stalled:${historyLength}`, notice,
      `No progress: the workflow task keeps failing (${notice.cause}). A worker that can run this command must be deployed, or the command ended.`)]);
    await this.reporting.registry.record(execution.workflowId, {
      org_id: source.tenant.org_id,
      project_id: source.tenant.project_id,
      correlation_id: source.correlation_id,
      command_id: source.command_id,
      seq: progress.seq,
      history_length: historyLength,
      cause: notice.cause,
      since: notice.since,
    });
  }

  /** Says the command moves again, unless the workflow already did (a later report) or it has ended. */
  private async reportMoving(workflowId: string, record: StallRecord): Promise<void> {
    if (!this.reporting) return;
    const tenant = { org_id: record.org_id, project_id: record.project_id };
    const progress = await this.reporting.store.progress(tenant, workflowId);
    if (progress && !progress.terminal && progress.seq <= record.seq && await this.isRunning(workflowId)) {
      const source = { workflow_id: workflowId, correlation_id: record.correlation_id, command_id: record.command_id, tenant };
      await this.reporting.publisher.publish([stallReport(source, progress.seq, `moving:${record.history_length}`,
        { state: 'moving', cause: record.cause, since: record.since }, 'Moving again: a worker runs this command\'s workflow task.')]);
    }
    await this.reporting.registry.forget(workflowId);
  }

  private temporal<T>(fn: () => Promise<T>): Promise<T> {
    return withTemporalDeadline(this.client, fn);
  }

  private async isRunning(workflowId: string): Promise<boolean> {
    try {
      return (await this.temporal(() => this.client.workflow.getHandle(workflowId).describe())).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}

function stallReport(source: Parameters<typeof reportEnvelope>[0], seq: number, name: string, stalled: StallNotice, message: string): ReportOf<'task_progress'> {
  const envelope = reportEnvelope(source, seq, new Date().toISOString());
  return { ...envelope, report_id: `${source.workflow_id}:${name}`, report_type: 'task_progress', payload: { message, stalled } };
}
