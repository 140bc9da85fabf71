import type { Report } from '../../contracts/index.js';
import { isTerminalReport } from '../../contracts/terminal-reports.js';

export interface CommandTiming {
  /** From the first report to the terminal one (or to `now` while it runs). */
  totalMs: number;
  /** Time spent with an ask open: a person deciding is not the agent running. */
  waitingMs: number;
  /** The rest: NEXUS and the agent at work. */
  runningMs: number;
  asks: number;
}

/**
 * Splits a command's time into waiting for approval and running, from its reports' own stamps. An ask still open
 * counts up to `now`; one whose end is not (yet) on the page counts up to the command's end.
 */
export function commandTiming(reports: Report[], now = Date.now()): CommandTiming | undefined {
  const first = reports[0];
  if (!first) return undefined;
  const terminal = reports.find(isTerminalReport);
  const endMs = terminal ? Date.parse(terminal.ts) : now;
  const opened = new Map<string, number>();
  let waitingMs = 0;
  for (const r of reports) {
    if (r.report_type === 'ask_created') opened.set(r.payload.ask_id, Date.parse(r.ts));
    const closes = r.report_type === 'ask_resolved' || r.report_type === 'ask_expired' ? r.payload.ask_id : undefined;
    const since = closes === undefined ? undefined : opened.get(closes);
    if (closes !== undefined && since !== undefined) {
      waitingMs += Math.max(0, Date.parse(r.ts) - since);
      opened.delete(closes);
    }
  }
  for (const since of opened.values()) waitingMs += Math.max(0, endMs - since);
  const totalMs = Math.max(0, endMs - Date.parse(first.ts));
  const asks = reports.filter((r) => r.report_type === 'ask_created').length;
  return { totalMs, waitingMs: Math.min(waitingMs, totalMs), runningMs: Math.max(0, totalMs - waitingMs), asks };
}
