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
  const intervals: Array<[number, number]> = [];
  for (const r of reports) {
    if (r.report_type === 'ask_created') opened.set(r.payload.ask_id, Date.parse(r.ts));
    const closes = r.report_type === 'ask_resolved' || r.report_type === 'ask_expired' ? r.payload.ask_id : undefined;
    const since = closes === undefined ? undefined : opened.get(closes);
    if (closes !== undefined && since !== undefined) {
      intervals.push([since, Date.parse(r.ts)]);
      opened.delete(closes);
    }
  }
  for (const since of opened.values()) intervals.push([since, endMs]);
  const waitingMs = coveredMs(intervals);
  const totalMs = Math.max(0, endMs - Date.parse(first.ts));
  const asks = reports.filter((r) => r.report_type === 'ask_created').length;
  return { totalMs, waitingMs: Math.min(waitingMs, totalMs), runningMs: Math.max(0, totalMs - waitingMs), asks };
}

/** Time covered by any of the intervals: a plan's asks open together wait once, not once each. */
function coveredMs(intervals: Array<[number, number]>): number {
  let covered = 0;
  let reached = -Infinity;
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0])) {
    const from = Math.max(start, reached);
    if (end > from) covered += end - from;
    reached = Math.max(reached, end);
  }
  return covered;
}
