import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { reportEnvelope, WORKFLOW_FAILED, type Report } from '../../contracts/index.js';
import { withdrawnAsk } from '../../contracts/withdrawn-ask.js';
import type { Logger } from '../../infra/logger.js';
import type { ReportPublisher } from '../../infra/messaging/report-publisher.js';
import type { CommandProgress, ReportStore } from '../../infra/store/report-store.js';
import { commandsQuery, nexusCommandOf, withTemporalDeadline, type NexusCommandSource } from './command-executions.js';
import type { TemporalCheck } from './periodic-checks.js';

/** How far back the first pass looks: as long as the store remembers a command's progress (its seen-marker TTL). */
const FIRST_LOOKBACK_MS = 7 * 24 * 3_600_000;
/** Later passes look back this far behind the previous one: Temporal's visibility lags a close by a moment. */
const VISIBILITY_LAG_MS = 5 * 60_000;
const PAGE = 100;
/** A pass handles at most this many closed commands; the rest are found by the next pass. */
const MAX_PER_PASS = 1_000;

/**
 * How a workflow closes without writing its end, as Temporal's visibility names it. A cancelled one (NEXUS's cancel
 * or Temporal's) writes its own `task_cancelled` before it closes, so it is not among them.
 */
const CLOSED_OUTSIDE = ['Terminated', 'TimedOut', 'Failed'] as const;
type ClosedStatus = (typeof CLOSED_OUTSIDE)[number];
const STATUS_NAMES: Record<string, ClosedStatus> = { TERMINATED: 'Terminated', TIMED_OUT: 'TimedOut', FAILED: 'Failed' };
/**
 * A command closed this recently is left for a later pass: a report its workflow published just before the close
 * (a failed one may have said why) is still on its way through RabbitMQ and the bridge.
 */
const SETTLE_MS = 10_000;

export interface ClosedReporting {
  publisher: ReportPublisher;
  store: ReportStore;
}

/**
 * The reconciler of commands that ended in Temporal without ending on their stream: terminated or timed out from the
 * Temporal CLI or Web UI, or failed. Their workflow never wrote a terminal report, so the card would
 * wait forever and the ask would stay decidable in the index. For each, the command gets its end on the stream — a
 * `task_cancelled` naming how it was stopped (and its first open ask, which the bridge then closes; any other is
 * withdrawn before it), or a `task_failed` for a workflow that failed (every open ask withdrawn) — once, whichever
 * API process finds it (the report id names the run).
 *
 * As with stall reports, Temporal's memo and search attributes only point; a report is written only for a workflow
 * whose id is the command its tenant and command_id derive and whose stream the store holds unfinished, so a shadow
 * workflow closed in Temporal cannot end a real command's card or close its ask.
 */
export class ClosedCommandsReconciler implements TemporalCheck {
  readonly name = 'closed-commands';
  private since: number | undefined;
  /** Workflows already said (in this process) not to be commands: every pass within the window sees them again. */
  private readonly notCommands = new Set<string>();
  private readonly log: Logger;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    logger: Logger,
    private readonly reporting: ClosedReporting,
  ) {
    this.log = logger.child({ module: 'closed-commands' });
  }

  /** One pass: the number of commands it ended on their stream. */
  async check(): Promise<number> {
    const started = Date.now();
    const since = new Date(this.since ?? started - FIRST_LOOKBACK_MS).toISOString();
    const statuses = CLOSED_OUTSIDE.map((s) => `ExecutionStatus = '${s}'`).join(' OR ');
    const settled = new Date(started - SETTLE_MS).toISOString();
    const query = commandsQuery(this.taskQueue, `(${statuses}) AND CloseTime > '${since}' AND CloseTime < '${settled}'`);
    const executions = await withTemporalDeadline(this.client, async () => {
      const found: WorkflowExecutionInfo[] = [];
      for await (const execution of this.client.workflow.list({ query, pageSize: PAGE })) {
        found.push(execution);
        if (found.length >= MAX_PER_PASS) break;
      }
      return found;
    });
    let ended = 0;
    for (const execution of executions) if (await this.reconcile(execution)) ended++;
    // A full pass moves the window on; a capped one looks at the same window again (what it ended is skipped).
    if (executions.length < MAX_PER_PASS) this.since = started - VISIBILITY_LAG_MS;
    return ended;
  }

  private async reconcile(execution: WorkflowExecutionInfo): Promise<boolean> {
    const status = STATUS_NAMES[execution.status.name];
    if (!status) return false;
    const source = nexusCommandOf(execution);
    if (!source) {
      const key = `${execution.workflowId}@${execution.runId}`;
      if (!this.notCommands.has(key)) {
        // Bounded: whoever can start workflows could otherwise grow it without end (then a line repeats, no more).
        if (this.notCommands.size >= MAX_PER_PASS * 10) this.notCommands.clear();
        this.notCommands.add(key);
        this.log.warn({ workflow_id: execution.workflowId, status }, 'closed workflow is not a NEXUS command (its id is not the one its tenant and command_id name): nothing reported on a stream');
      }
      return false;
    }
    const progress = await this.reporting.store.progress(source.tenant, execution.workflowId);
    if (!progress || progress.terminal) return false;
    await this.reporting.publisher.publish(closedReports(source, progress, execution, status));
    this.log.warn({ correlation_id: source.correlation_id, workflow_id: execution.workflowId, run_id: execution.runId, status, ask_ids: progress.openAsks }, 'command closed in Temporal without a terminal report: its end is now on the stream');
    return true;
  }
}

const HOW: Record<Exclude<ClosedStatus, 'Failed'>, string> = {
  Terminated: 'terminated in Temporal',
  TimedOut: 'timed out in Temporal',
};

/**
 * The command's end, after the last report the store holds; named after the run, so every API process writes the
 * same. A cancelled end closes the first open ask; any other (a plan's asks waiting together) is withdrawn before it.
 */
function closedReports(source: NexusCommandSource, progress: CommandProgress, execution: WorkflowExecutionInfo, status: ClosedStatus): Report[] {
  const now = new Date().toISOString();
  // The lowest id, so every API process names the same one; a failed end names none: every open ask is withdrawn.
  const first = status === 'Failed' ? undefined : progress.openAsks[0];
  const others = progress.openAsks.filter((askId) => askId !== first);
  const withdrawn = others.map((askId, i): Report => ({
    ...reportEnvelope(source, progress.seq + 1 + i, now),
    report_id: `${source.workflow_id}:closed@${execution.runId}:${askId}`,
    report_type: 'ask_resolved',
    payload: withdrawnAsk(askId, `the workflow ${status === 'Failed' ? 'failed in Temporal' : `was ${HOW[status]}`}`),
  }));
  return [...withdrawn, closedReport(source, progress.seq + others.length, first, execution, status, now)];
}

function closedReport(source: NexusCommandSource, seq: number, openAsk: string | undefined, execution: WorkflowExecutionInfo, status: ClosedStatus, now: string): Report {
  const envelope = reportEnvelope(source, seq + 1, now);
  const reportId = `${source.workflow_id}:closed@${execution.runId}`;
  if (status === 'Failed') {
    const durationMs = Math.max(0, (execution.closeTime?.getTime() ?? Date.now()) - execution.startTime.getTime());
    return { ...envelope, report_id: reportId, report_type: 'task_failed', payload: {
      error: { code: WORKFLOW_FAILED, message: 'the workflow failed in Temporal without reporting why; see its history in the Temporal Web UI', retryable: false },
      duration_ms: durationMs,
    } };
  }
  return { ...envelope, report_id: reportId, report_type: 'task_cancelled', payload: {
    reason: `stopped outside NEXUS: the workflow was ${HOW[status]}`,
    ...(openAsk ? { ask_id: openAsk } : {}),
  } };
}
