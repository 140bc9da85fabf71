// Zod-free on purpose: the dashboard's bundle and the bridge's store both use it.

/** The reports that end a command; a command has exactly one of them. */
export const TERMINAL_REPORT_TYPES: ReadonlySet<string> = new Set(['task_completed', 'task_failed', 'task_cancelled']);

export function isTerminalReport(report: { report_type: string }): boolean {
  return TERMINAL_REPORT_TYPES.has(report.report_type);
}
