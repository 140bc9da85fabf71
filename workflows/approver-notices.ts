import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { CommandInput, NotificationOutcome, NotifyPlan, NotifyStage } from '../contracts/index.js';
import { durable, type Activities } from './activity-proxies.js';
import type { ReportBuilder } from './report-builder.js';

/**
 * Patch marker of the first notice a command sends. Commands whose ask opened before notices existed replay
 * without any: whether a command notifies is decided once, at its first ask that has someone to tell.
 */
export const NOTIFY_APPROVERS = 'nexus-notify-approvers';

/** An open ask and whom to tell about it. */
export interface AskNotice {
  askId: string;
  targets: NotifyPlan[];
}

/**
 * Tells approvers about an ask without waiting for it: each target of each stage is an activity of its own
 * (Temporal's retries are the backoff; `webhook-id` stays the same across them), whose outcome goes on the stream.
 * Nothing here decides, and nothing waits on it: the ask is open whether or not anyone was reached. When the ask
 * closes, notices still retrying are cancelled and those already answered are reported first, so the stream tells
 * of them before it tells of the decision.
 */
export class ApproverNotices {
  private enabled: boolean | undefined;
  private scope: CancellationScope | undefined;
  private readonly pending: Array<Promise<void>> = [];
  private readonly notifyApprover: Activities['notifyApprover'];

  constructor(private readonly input: CommandInput, private readonly reports: ReportBuilder) {
    const { notify_retry_interval_ms: interval = 2_000, notify_max_attempts: attempts = 8 } = input.settings;
    this.notifyApprover = proxyActivities<Activities>({
      startToCloseTimeout: '1m',
      retry: { initialInterval: interval, backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: attempts },
    }).notifyApprover;
  }

  send(ask: AskNotice, stage: NotifyStage): void {
    const targets = ask.targets.filter((t) => t.stages.includes(stage));
    if (targets.length === 0) return;
    this.enabled ??= patched(NOTIFY_APPROVERS);
    if (!this.enabled) return;
    this.scope ??= new CancellationScope();
    const scope = this.scope;
    for (const target of targets) this.pending.push(scope.run(() => this.notify(ask, stage, target)));
  }

  /** The ask closed: notices still trying are called off; those that have an outcome are reported. */
  async close(): Promise<void> {
    const scope = this.scope;
    if (!scope) return;
    this.scope = undefined;
    scope.cancel();
    const pending = this.pending.splice(0);
    await Promise.allSettled(pending);
  }

  private async notify(ask: AskNotice, stage: NotifyStage, target: NotifyPlan): Promise<void> {
    const { input } = this;
    let outcome: Pick<NotificationOutcome, 'status' | 'attempts' | 'error'>;
    try {
      const { attempts } = await this.notifyApprover({
        tenant: input.tenant,
        correlation_id: input.correlation_id,
        workflow_id: input.workflow_id,
        command_id: input.command_id,
        ask_id: ask.askId,
        stage,
        target,
      });
      outcome = { status: 'sent', attempts };
    } catch (err) {
      if (isCancellation(err)) return;
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const attempts = (cause?.details?.[0] as { attempts?: unknown } | undefined)?.attempts;
      outcome = {
        status: 'failed',
        attempts: typeof attempts === 'number' && attempts > 0 ? attempts : 1,
        error: { code: cause?.type ?? 'notify_unavailable', message: (cause ?? (err as Error)).message },
      };
    }
    const { channel, approver } = target;
    await durable.publishReports([this.reports.build('task_progress', {
      message: outcome.status === 'sent' ? `${approver} was told by ${channel}` : `could not tell ${approver} by ${channel}: ${outcome.error?.message ?? 'failed'}`,
      notification: { ask_id: ask.askId, stage, channel, approver, target: target.target, ...outcome },
    })]);
  }
}
