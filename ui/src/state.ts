import type { Decision, NotificationOutcome, Report, ReportOf } from '../../contracts/index.js';
// The same ordering the server uses; contracts/ is pure, so the UI bundle can share it.
import { compareStreamIds } from '../../contracts/stream-id.js';
import { isTerminalReport } from '../../contracts/terminal-reports.js';
import { deriveStatus, type CommandStatus } from './status.js';

export interface StreamedReport {
  streamId: string;
  report: Report;
}

export interface CommandView {
  correlationId: string;
  /** In `seq` order (stream order breaks ties, e.g. two workflows sharing a correlation id). */
  reports: StreamedReport[];
  status: CommandStatus;
  /** Set when this page sent the command and got a 202; shown only until the first report arrives. */
  sentAt: number | undefined;
  /** This page asked to cancel it and got a 202: "cancelling…" until the stream says how it ended. */
  cancelling: boolean;
  /** Why the API refused this page's cancel. */
  cancelError: string | undefined;
  /** This page asked to run it again: "re-running…" until the API answers (the new command gets a card of its own). */
  rerunning: boolean;
  /** Why the API refused this page's re-run. */
  rerunError: string | undefined;
}

export interface AskView {
  report: ReportOf<'ask_created'>;
  /** The decision this page posted; the ask stays "deciding…" until the stream resolves it. */
  deciding: Decision | undefined;
  error: string | undefined;
  /** Who NEXUS told about this ask, where, and how that went (the latest outcome per target and stage). */
  notices: NotificationOutcome[];
}

export interface Changes {
  commands: Set<string>;
  asksChanged: boolean;
  newAsks: ReportOf<'ask_created'>[];
}

const RENDER_BATCH_MS = 16;

type Listener = (changes: Changes) => void;

/**
 * Everything the page shows, built from stream events only (plus the page's own "sent"/"deciding" notes, which
 * never claim anything about the server). Duplicates — by stream id and by report_id — are dropped here, so a
 * replay after a reconnect can never show a report twice.
 */
export class DashboardState {
  readonly commands = new Map<string, CommandView>();
  readonly asks = new Map<string, AskView>();
  private readonly seenStreamIds = new Set<string>();
  private readonly seenReportIds = new Set<string>();
  private readonly closedAsks = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private pending: Changes | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  subscribe(listener: Listener): void {
    this.listeners.add(listener);
  }

  /** Returns false for a report already applied. */
  applyReport(streamId: string, report: Report): boolean {
    if (this.seenStreamIds.has(streamId) || this.seenReportIds.has(report.report_id)) return false;
    this.seenStreamIds.add(streamId);
    this.seenReportIds.add(report.report_id);

    const command = this.command(report.correlation_id);
    insertInOrder(command.reports, { streamId, report });
    command.status = deriveStatus(command.reports.map((r) => r.report));
    const changes = this.changes();
    changes.commands.add(command.correlationId);
    this.trackAsk(report, changes);
    this.schedule();
    return true;
  }

  markSent(correlationId: string): void {
    const command = this.command(correlationId);
    command.sentAt ??= Date.now();
    this.changes().commands.add(correlationId);
    this.schedule();
  }

  markCancelling(correlationId: string): void {
    this.note(correlationId, { cancelling: true, cancelError: undefined });
  }

  cancelRefused(correlationId: string, message: string): void {
    this.note(correlationId, { cancelling: false, cancelError: message });
  }

  /** A re-run is being asked for (`sending`), or was answered: refused with `error`, or accepted. */
  noteRerun(correlationId: string, sending: boolean, error: string | undefined): void {
    this.note(correlationId, { rerunning: sending, rerunError: error });
  }

  markDeciding(askId: string, decision: Decision): void {
    const ask = this.asks.get(askId);
    if (!ask) return;
    ask.deciding = decision;
    ask.error = undefined;
    this.changes().asksChanged = true;
    this.schedule();
  }

  decisionRefused(askId: string, message: string): void {
    const ask = this.asks.get(askId);
    if (!ask) return;
    ask.deciding = undefined;
    ask.error = message;
    this.changes().asksChanged = true;
    this.schedule();
  }

  reset(): void {
    this.commands.clear();
    this.asks.clear();
    this.seenStreamIds.clear();
    this.seenReportIds.clear();
    this.closedAsks.clear();
    this.pending = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private trackAsk(report: Report, changes: Changes): void {
    if (report.report_type === 'ask_created') {
      if (this.closedAsks.has(report.payload.ask_id)) return;
      this.asks.set(report.payload.ask_id, { report, deciding: undefined, error: undefined, notices: [] });
      changes.asksChanged = true;
      changes.newAsks.push(report);
      return;
    }
    const notice = report.report_type === 'task_progress' ? report.payload.notification : undefined;
    const told = notice && this.asks.get(notice.ask_id);
    if (notice && told) {
      told.notices = [...told.notices.filter((n) => n.target !== notice.target || n.stage !== notice.stage), notice];
      changes.asksChanged = true;
      return;
    }
    const askId =
      report.report_type === 'ask_resolved' || report.report_type === 'ask_expired' || report.report_type === 'task_cancelled'
        ? report.payload.ask_id
        : undefined;
    if (askId !== undefined) this.closeAsk(askId, changes);
    if (isTerminalReport(report)) {
      // A finished workflow has nothing left to approve, whatever happened to its ask.
      for (const [id, ask] of this.asks) if (ask.report.workflow_id === report.workflow_id) this.closeAsk(id, changes);
    }
  }

  /** The page's own notes on a card (never state from the server): what it asked for, and refusals. */
  private note(correlationId: string, notes: Partial<Pick<CommandView, 'cancelling' | 'cancelError' | 'rerunning' | 'rerunError'>>): void {
    const command = this.commands.get(correlationId);
    if (!command) return;
    Object.assign(command, notes);
    this.changes().commands.add(correlationId);
    this.schedule();
  }

  private closeAsk(askId: string, changes: Changes): void {
    this.closedAsks.add(askId);
    if (this.asks.delete(askId)) changes.asksChanged = true;
  }

  private command(correlationId: string): CommandView {
    let command = this.commands.get(correlationId);
    if (!command) {
      command = { correlationId, reports: [], status: 'sent', sentAt: undefined, cancelling: false, cancelError: undefined, rerunning: false, rerunError: undefined };
      this.commands.set(correlationId, command);
    }
    return command;
  }

  private changes(): Changes {
    this.pending ??= { commands: new Set(), asksChanged: false, newAsks: [] };
    return this.pending;
  }

  /**
   * Coalesces a burst (a replay of thousands of reports) into one render. A timer, not requestAnimationFrame,
   * because rAF stops in a background tab and the tab title must still count new asks there.
   */
  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), RENDER_BATCH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const changes = this.pending;
    this.pending = undefined;
    if (!changes) return;
    for (const listener of this.listeners) listener(changes);
  }
}

function insertInOrder(list: StreamedReport[], item: StreamedReport): void {
  let i = list.length;
  while (i > 0) {
    const prev = list[i - 1];
    if (!prev || prev.report.seq < item.report.seq || (prev.report.seq === item.report.seq && compareStreamIds(prev.streamId, item.streamId) < 0)) break;
    i -= 1;
  }
  list.splice(i, 0, item);
}
