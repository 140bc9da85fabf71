import {
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { CommandInput, DECIDE_REJECTIONS, type DecideInput, type DecideRejection } from '../../contracts/index.js';
import { decideUpdate } from '../../workflows/messages.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import type { commandWorkflow } from '../../workflows/command-workflow.js';
import { ApiError } from '../errors.js';
import { workflowSummary } from './workflow-summary.js';


/** gRPC's status code NOT_FOUND (google.rpc.Code 5). */
const GRPC_NOT_FOUND = 5;

export type DecideOutcome = { ok: true; final: boolean } | { ok: false; rejection: DecideRejection | 'rejected'; message: string };

const KNOWN_REJECTIONS = new Set<string>(Object.values(DECIDE_REJECTIONS));
const isRejection = (type: string | undefined | null): type is DecideRejection => !!type && KNOWN_REJECTIONS.has(type);

/** The API's only door to Temporal: starts commands and delivers decisions, with every failure classified. */
export class CommandGateway {
  /** Calls still running, a 503 answered or not: the connection is closed only once they have ended. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly rpcTimeoutMs: number,
  ) {}

  /** Idempotent: a second start of the same workflow id (running or closed) is not an error. */
  async start(input: CommandInput): Promise<void> {
    const { request, tenant } = input;
    try {
      await this.withDeadline(() =>
        this.client.workflow.start<typeof commandWorkflow>('commandWorkflow', {
          workflowId: input.workflow_id,
          taskQueue: this.taskQueue,
          args: [input],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.correlationId, value: input.correlation_id },
            { key: SEARCH_ATTRIBUTES.orgId, value: tenant.org_id },
            { key: SEARCH_ATTRIBUTES.projectId, value: tenant.project_id },
            { key: SEARCH_ATTRIBUTES.riskLevel, value: request.risk_level ?? 'GREEN' },
            { key: SEARCH_ATTRIBUTES.commandType, value: request.type },
          ],
          memo: { correlation_id: input.correlation_id, command_id: input.command_id },
          ...workflowSummary(input),
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw this.unavailable(err);
    }
  }

  /**
   * Delivers a decision and waits until the workflow accepted and recorded it. The update id is derived from the
   * ask and the decision, so a retried request is deduplicated by Temporal as well.
   */
  async decide(workflowId: string, input: DecideInput, updateId: string): Promise<DecideOutcome> {
    const deadline = Date.now() + this.rpcTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.decideOnce(workflowId, input, updateId);
      // A worker that is replaying the workflow has not reached the ask yet; it will within moments.
      if (outcome.ok || outcome.rejection !== DECIDE_REJECTIONS.notReady) return outcome;
      if (Date.now() + 100 * attempt > deadline) throw ApiError.unavailable('the workflow worker');
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }

  private async decideOnce(workflowId: string, input: DecideInput, updateId: string): Promise<DecideOutcome> {
    const handle = this.client.workflow.getHandle(workflowId);
    try {
      // executeUpdate, not startUpdate(ACCEPTED): a validator rejection comes back as a *completed* update,
      // which startUpdate reports as success. The handler only records the decision, so completion is immediate.
      // One update id per approver and decision: a retried request is deduplicated, another approver is not.
      const result = await this.withDeadline(() =>
        handle.executeUpdate(decideUpdate, { args: [input], updateId }),
      );
      return { ok: true, final: result.final };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        const rejection = cause instanceof ApplicationFailure && isRejection(cause.type) ? cause.type : 'rejected';
        return { ok: false, rejection, message: cause?.message ?? err.message };
      }
      if (err instanceof WorkflowNotFoundError) {
        return { ok: false, rejection: DECIDE_REJECTIONS.workflowClosed, message: 'the command is no longer waiting for a decision' };
      }
      throw this.unavailable(err);
    }
  }

  /**
   * Asks a running command's workflow to stop (Temporal cancellation; the workflow ends it on the stream itself).
   * `not_found`: no such workflow; `ended`: it has closed already.
   */
  async cancel(workflowId: string): Promise<{ outcome: 'requested' | 'ended'; correlationId: string | undefined } | { outcome: 'not_found' }> {
    const handle = this.client.workflow.getHandle(workflowId);
    try {
      const description = await this.withDeadline(() => handle.describe());
      const memo = (description.memo as { correlation_id?: unknown } | undefined)?.correlation_id;
      const correlationId = typeof memo === 'string' ? memo : undefined;
      if (description.status.name !== 'RUNNING') return { outcome: 'ended', correlationId };
      await this.withDeadline(() => handle.cancel());
      return { outcome: 'requested', correlationId };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { outcome: 'not_found' };
      throw this.unavailable(err);
    }
  }

  /**
   * The input a command's workflow was started with, read back from its history (decoded and decrypted with this
   * API's data converter), for a re-run. Undefined when Temporal holds no such workflow any more, or its first
   * event is not a start NEXUS can read (a workflow NEXUS did not start, or past retention).
   */
  async inputOf(workflowId: string): Promise<CommandInput | undefined> {
    const handle = this.client.workflow.getHandle(workflowId);
    let history;
    try {
      history = await this.withDeadline(() => handle.fetchHistory());
    } catch (err) {
      // fetchHistory hands on the service's own error: gRPC NOT_FOUND for an unknown workflow id.
      if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) return undefined;
      throw this.unavailable(err);
    }
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    if (!payloads?.length) return undefined;
    try {
      const parsed = CommandInput.safeParse(await decodeFromPayloadsAtIndex(this.client.options.loadedDataConverter, 0, payloads));
      return parsed.success ? parsed.data : undefined;
    } catch {
      // Not sealed with a key this API holds: nothing NEXUS can vouch for.
      return undefined;
    }
  }

  async ping(): Promise<void> {
    await this.withDeadline(() => this.client.workflowService.getSystemInfo({}));
  }

  /**
   * Waits for every call still running (each ends by its deadline). The client retries a failing call from
   * timers of its own that nothing cancels; one that fires after the connection closed throws where nobody can
   * catch it, so the API drains before it closes.
   */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    const call = this.client.connection.withDeadline(Date.now() + this.rpcTimeoutMs, fn);
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call)).catch(() => undefined);
    return call;
  }

  private unavailable(err: unknown): ApiError {
    const apiError = ApiError.unavailable('Temporal');
    apiError.cause = err;
    return apiError;
  }
}
