import type { Client } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { StalledCommands } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import { sleep } from '../../infra/backoff.js';

/** Set by the Temporal server once a workflow's task has failed a few times in a row (server 1.28 and later). */
const REPORTED_PROBLEMS = defineSearchAttributeKey('TemporalReportedProblems', SearchAttributeType.KEYWORD_LIST);
const SAMPLE = 100;

/**
 * Watches Temporal for NEXUS commands stuck on a failing workflow task (a replay that no longer matches its
 * history, a bug that throws on every attempt): such a command stays `Running` and says nothing on the stream.
 * Each one is logged (with its correlation_id) when it is first seen and when it moves again, and the count is on
 * `/health`. Temporal's `TemporalReportedProblems` search attribute does the finding, so a pass is one count and
 * one short list whatever the number of commands.
 */
export class StalledCommandsWatch {
  private latestSummary: StalledCommands | undefined;
  private known = new Map<string, string>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly intervalMs: number,
    logger: Logger,
  ) {
    this.log = logger.child({ module: 'stalled-commands' });
  }

  latest(): StalledCommands | undefined {
    return this.latestSummary;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.check();
      } catch (err) {
        // Temporal away: /health says so on its own; the last summary stays until a pass succeeds.
        this.log.debug({ err: (err as Error).message }, 'stalled-command check failed; retrying next interval');
      }
      await sleep(this.intervalMs, this.stopping.signal);
    }
  }

  async check(): Promise<StalledCommands> {
    const query = `WorkflowType = 'commandWorkflow' AND TaskQueue = '${this.taskQueue.replace(/'/g, '')}' AND ExecutionStatus = 'Running' AND TemporalReportedProblems IS NOT NULL`;
    const { count } = await this.client.workflow.count(query);
    const causes: Record<string, number> = {};
    const seen = new Map<string, string>();
    for await (const execution of this.client.workflow.list({ query, pageSize: SAMPLE })) {
      const problems = execution.typedSearchAttributes.get(REPORTED_PROBLEMS) ?? [];
      const cause = problems.find((p) => p.startsWith('cause='))?.slice('cause='.length).replace(/^WorkflowTaskFailedCause/, '') ?? 'unknown';
      causes[cause] = (causes[cause] ?? 0) + 1;
      const correlationId = (execution.memo as { correlation_id?: string } | undefined)?.correlation_id;
      seen.set(execution.workflowId, correlationId ?? '');
      if (!this.known.has(execution.workflowId)) {
        this.log.error({ correlation_id: correlationId, workflow_id: execution.workflowId, problems }, 'command stalled: its workflow task keeps failing, so it makes no progress');
      }
      if (seen.size >= SAMPLE) break;
    }
    for (const [workflowId, correlationId] of this.known) {
      if (!seen.has(workflowId) && count < SAMPLE) this.log.info({ correlation_id: correlationId, workflow_id: workflowId }, 'command no longer stalled');
    }
    this.known = seen;
    this.latestSummary = { count, causes, checked_at: new Date().toISOString() };
    return this.latestSummary;
  }
}
