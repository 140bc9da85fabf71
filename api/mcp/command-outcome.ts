import type { CommandAccepted, McpApproval, McpCommandOutcome, Report } from '../../contracts/index.js';

/**
 * Gathers what a tool call answers from its command's reports as they come: the decisions on its asks, then the
 * end. Undefined until the command's terminal report.
 */
export class CommandOutcome {
  private readonly approvals: McpApproval[] = [];
  private ended: McpCommandOutcome | undefined;

  constructor(private readonly accepted: CommandAccepted) {}

  add(report: Report): McpCommandOutcome | undefined {
    const ids = { command_id: this.accepted.command_id, correlation_id: this.accepted.correlation_id, workflow_id: this.accepted.workflow_id };
    switch (report.report_type) {
      case 'ask_resolved': {
        const { ask_id, decision, decided_by, reason, standing_approval_id, withdrawn } = report.payload;
        this.approvals.push({
          ask_id, decision, decided_by,
          ...(reason !== undefined ? { reason } : {}),
          ...(standing_approval_id !== undefined ? { standing_approval_id } : {}),
          ...(withdrawn ? { withdrawn } : {}),
        });
        break;
      }
      case 'task_completed':
        this.ended = { status: 'completed', ...ids, result: report.payload.result, risk_level: report.payload.risk_level, approvals: this.approvals };
        break;
      case 'task_failed':
        this.ended = { status: 'failed', ...ids, error: report.payload.error, approvals: this.approvals };
        break;
      case 'task_cancelled':
        this.ended = { status: 'cancelled', ...ids, reason: report.payload.reason, approvals: this.approvals };
        break;
      default:
        break;
    }
    return this.ended;
  }
}

/** The outcome in words, for clients that show only a tool result's text. */
export function outcomeText(outcome: McpCommandOutcome): string {
  const head =
    outcome.status === 'completed'
      ? `completed (${outcome.risk_level ?? 'GREEN'})`
      : outcome.status === 'failed'
        ? `failed: ${outcome.error?.code ?? 'unknown'}: ${outcome.error?.message ?? ''}`
        : `cancelled: ${outcome.reason ?? ''}`;
  return `${head}\n${JSON.stringify(outcome, null, 2)}`;
}
