import type { Report } from '../../contracts/index.js';
import { t } from './i18n/locale.js';

/** What a card's badge says. `sent` is the page's own note that it got a 202; everything else comes from reports. */
export type CommandStatus =
  | 'sent'
  | 'accepted'
  | 'running'
  | 'waiting'
  | 'stalled'
  | 'completed'
  | 'failed'
  | 'denied'
  | 'expired'
  | 'cancelled';

export const STATUS_LABEL: Record<CommandStatus, string> = t.status;

export const TERMINAL: ReadonlySet<CommandStatus> = new Set(['completed', 'failed', 'denied', 'expired', 'cancelled']);

/** Folds reports (already in `seq` order) into a status; plain TS so the bundle carries no zod. */
export function deriveStatus(reports: readonly Report[]): CommandStatus {
  let status: CommandStatus = 'sent';
  // NEXUS's stall check speaks from outside the workflow: once the command moves again, what it was doing holds.
  let beforeStall: CommandStatus = status;
  // A plan's RED calls are asked about together: the command waits until the last of them is decided.
  const open = new Set<string>();
  for (const report of reports) {
    switch (report.report_type) {
      case 'command_accepted':
        status = 'accepted';
        break;
      case 'task_progress': {
        const stall = report.payload.stalled?.state;
        if (stall === 'stalled') {
          if (status !== 'stalled') beforeStall = status;
          status = 'stalled';
        } else if (stall === 'moving') {
          if (status === 'stalled') status = beforeStall;
        } else if (report.payload.ask === undefined && report.payload.notification === undefined) {
          // An ask's stages (an approval of a quorum, its reminder, its escalation) and the notices about it are
          // progress of the ask: the command still waits for people.
          status = 'running';
        }
        break;
      }
      case 'task_started':
        status = 'running';
        break;
      case 'ask_created':
        open.add(report.payload.ask_id);
        status = 'waiting';
        break;
      case 'ask_resolved':
        open.delete(report.payload.ask_id);
        // Withdrawn beside a denial or an expiry, an ask does not change what the command's end is.
        if (report.payload.withdrawn) break;
        if (report.payload.decision === 'deny') status = 'denied';
        // An approval recorded just after its plan was denied (or expired) does not revive the command; a revised
        // plan's ask does (ask_created).
        else if (status !== 'denied' && status !== 'expired') status = open.size > 0 ? 'waiting' : 'running';
        break;
      case 'ask_expired':
        open.delete(report.payload.ask_id);
        status = 'expired';
        break;
      case 'task_completed':
        status = 'completed';
        break;
      case 'task_failed':
        status = 'failed';
        break;
      case 'task_cancelled':
        // Deny and expiry end with task_cancelled; keep the more telling status the ask report already set.
        if (status !== 'denied' && status !== 'expired') status = 'cancelled';
        break;
    }
  }
  return status;
}
