import type { CommandState, Report } from '../contracts/index.js';
import { withdrawnAsk } from '../contracts/withdrawn-ask.js';
import type { ApprovalGate } from './approval-gate.js';
import type { ReportBuilder } from './report-builder.js';

/**
 * The command's asks open now, first asked first: one, or several while a plan's RED calls wait side by side. The
 * state query names the first; whoever ends them without a decision (a plan ended by one of its asks, a cancelled
 * command) withdraws the rest on the stream.
 */
export class OpenAsks {
  private readonly ids: string[] = [];

  constructor(private readonly state: CommandState) {}

  add(askId: string): void {
    this.ids.push(askId);
    this.sync();
  }

  /** The ask ended with an outcome of its own (decided or expired). */
  remove(askId: string): void {
    const at = this.ids.indexOf(askId);
    if (at >= 0) this.ids.splice(at, 1);
    this.sync();
  }

  /**
   * Empties the list and answers an `ask_resolved` for each ask but `except` (which the caller closes itself): a deny
   * by NEXUS marked `withdrawn`, with any decision that had counted for it. The gate already refuses decisions for
   * asks whose wait was cancelled.
   */
  withdraw(reports: ReportBuilder, gate: ApprovalGate, reason: string, except?: string): Report[] {
    const askIds = this.ids.filter((askId) => askId !== except);
    this.ids.splice(0, this.ids.length, ...this.ids.filter((askId) => askId === except));
    this.sync();
    return askIds.map((askId) => reports.build('ask_resolved', withdrawnAsk(askId, reason,
      gate.countedFor(askId).map((d) => ({ decided_by: d.decided_by, decision: d.decision, reason: d.reason, decided_at: d.decided_at, action_digest: d.action_digest })))));
  }

  /** Waiting while any ask is open, the first of them pending. */
  private sync(): void {
    this.state.pending_ask_id = this.ids[0] ?? null;
    if (this.ids.length > 0) this.state.status = 'waiting_for_approval';
    else if (this.state.status === 'waiting_for_approval') this.state.status = 'running';
  }
}
