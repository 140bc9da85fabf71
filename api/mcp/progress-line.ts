import type { Report } from '../../contracts/index.js';

/**
 * A report as one line of an MCP progress notification: what a person watching the assistant would want to read.
 * Undefined for reports that say nothing new to a caller (the terminal ones answer the call instead).
 */
export function progressLine(report: Report, commandPage: string): string | undefined {
  switch (report.report_type) {
    case 'command_accepted':
      return `accepted; follow it on ${commandPage}`;
    case 'task_started':
      return report.payload.agent ? `running ${report.payload.agent}` : 'running';
    case 'task_progress': {
      const { message, done, total, ask, plan } = report.payload;
      if (ask) return `ask ${ask.ask_id}: ${ask.stage}, ${ask.approvals} of ${ask.quorum} approvals`;
      if (plan) return `planned "${plan.title}": ${plan.calls.map((call) => call.agent).join(', ')}`;
      if (message) return total !== undefined ? `${message} (${done ?? 0}/${total})` : message;
      return total !== undefined ? `${done ?? 0}/${total}` : undefined;
    }
    case 'ask_created':
      return `waiting for a person's approval (${report.payload.risk_level}, ask ${report.payload.ask_id}, until ${report.payload.expires_at}): ${report.payload.title}. Approvers decide on ${commandPage} or from the link sent to them.`;
    case 'ask_resolved':
      if (report.payload.withdrawn) return `ask ${report.payload.ask_id} ${report.payload.reason ?? 'withdrawn: its plan ended'}`;
      return report.payload.standing_approval_id
        ? `approved ahead of time (standing approval ${report.payload.standing_approval_id})`
        : `${report.payload.decision === 'approve' ? 'approved' : 'denied'} by ${report.payload.decided_by}${report.payload.reason ? `: ${report.payload.reason}` : ''}`;
    case 'ask_expired':
      return `ask ${report.payload.ask_id} expired undecided`;
    default:
      return undefined;
  }
}
