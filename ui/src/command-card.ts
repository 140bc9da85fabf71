import type { Report } from '../../contracts/index.js';
import { workflowUrl, type UiConfig } from './config.js';
import { h } from './element.js';
import { formatClock, formatDuration, formatJson } from './format.js';
import { deliveryOf, deliveryView } from './delivery-summary.js';
import { outboxResultOf, type OutboxResult } from './outbox-csv.js';
import { outboxView } from './outbox-view.js';
import { reportRow } from './report-row.js';
import { commandTiming } from './timing.js';
import type { CommandView } from './state.js';
import { STATUS_LABEL, TERMINAL } from './status.js';
import { t } from './i18n/locale.js';

/** What a card's buttons do (the timeline posts; the card only draws). */
export interface CardActions {
  cancel(command: CommandView): void;
  /** A new command with this one's request, with `changes` to its params when given. */
  rerun(command: CommandView, changes?: Record<string, unknown>): void;
  /** Saves an outbox's messages as CSV; resolves to why not, when it could not. */
  downloadOutbox(result: OutboxResult): Promise<string | undefined>;
  /** Where the card's "Details" link goes (the run detail view of this command). */
  detailHref(command: CommandView): string;
  /** The detail view shows every report at once; the run list keeps them folded. */
  expanded: boolean;
}

/**
 * Fills a timeline card from one command's reports (its only source) and the page's own "sent", "cancelling…" and
 * "re-running…" notes. A running command offers Cancel, an ended one Run again; what that did shows only when the
 * stream says so (a re-run is a new command with a card of its own).
 */
export function renderCard(card: HTMLElement, command: CommandView, config: UiConfig, actions: CardActions): void {
  const reports = command.reports.map((r) => r.report);
  const first = reports[0];
  const last = reports.at(-1);
  card.dataset.status = command.status;
  card.className = `card status-${command.status}`;

  const workflowIds = [...new Set(reports.map((r) => r.workflow_id))];
  const accepted = reports.find((r) => r.report_type === 'command_accepted');
  const what = accepted?.report_type === 'command_accepted' ? (accepted.payload.agent ?? accepted.payload.type) : agentOf(reports);
  const risk = riskOf(reports);
  card.dataset.agent = what ?? '';
  card.dataset.risk = risk ?? '';

  const meta: (string | Node)[] = [];
  if (what) meta.push(h('span', { class: 'what' }, what));
  if (accepted?.report_type === 'command_accepted' && accepted.payload.rerun_of !== undefined) {
    const changes = accepted.payload.rerun_changes;
    meta.push(h('span', { class: 'rerun-of', title: t.card.rerunOfTitle },
      changes && changes.length > 0 ? t.card.rerunChanged(accepted.payload.rerun_of, changes.join(', ')) : t.card.rerunOf(accepted.payload.rerun_of)));
  }
  if (risk) meta.push(h('span', { class: `risk risk-${risk.toLowerCase()}` }, risk));
  const timing = commandTiming(reports);
  if (first && timing && TERMINAL.has(command.status)) {
    meta.push(timing.asks > 0
      ? h('span', { class: 'duration', title: t.card.waitedRanTitle }, t.card.waitedRan(formatDuration(timing.waitingMs), formatDuration(timing.runningMs)))
      : h('span', { class: 'duration', title: t.card.tookTitle }, t.card.took(formatDuration(timing.totalMs))));
  } else if (first) {
    meta.push(h('span', { class: 'since' }, t.card.since(formatClock(first.ts))));
  } else if (command.sentAt !== undefined) {
    meta.push(h('span', { class: 'since' }, t.card.sentAt(formatClock(new Date(command.sentAt).toISOString()))));
  }

  const head = h('header', { class: 'card-head' },
    h('span', { class: `badge badge-${command.status}`, 'data-role': 'status' }, STATUS_LABEL[command.status]),
    h('h3', { class: 'cid' }, actions.expanded ? command.correlationId : h('a', { class: 'detail-link', href: actions.detailHref(command), title: t.card.detailTitle }, command.correlationId)),
    h('span', { class: 'meta' }, ...meta),
    ...workflowIds.flatMap((id) => {
      const href = workflowUrl(config, id);
      return href ? [h('a', { class: 'temporal-link', href, target: '_blank', rel: 'noopener', title: t.card.openInTemporal(id) }, 'Temporal ↗')] : [];
    }),
  );

  const body: Node[] = [head];
  if (reports.length === 0) {
    body.push(h('p', { class: 'waiting-note' }, t.card.waitingForFirst));
  } else {
    if (!accepted) {
      body.push(h('p', { class: 'partial-note' }, t.card.partial,
        actions.expanded ? t.card.partialTrimmed : h('a', { href: actions.detailHref(command) }, t.card.partialOpen)));
    }
    // Folded in the run list (a page of 100 commands stays readable), kept open across updates once opened.
    const wasOpen = card.querySelector<HTMLDetailsElement>('details.reports')?.open ?? false;
    const rows = h('ol', { class: 'rows', 'aria-label': t.card.reportsFor(command.correlationId) }, ...command.reports.map((r) => reportRow(r.streamId, r.report)));
    body.push(h('details', { class: 'reports', open: actions.expanded || wasOpen },
      h('summary', {}, t.card.reportCount(reports.length, last?.report_type ?? '')), rows));
  }
  const outcome = outcomeOf(reports, command, actions);
  if (outcome) body.push(outcome);
  if (first && !TERMINAL.has(command.status)) {
    const cancel = h('button', { type: 'button', class: 'cancel', disabled: command.cancelling, title: `POST /commands/${first.command_id}/cancel` },
      command.cancelling ? t.card.cancelling : t.card.cancel);
    cancel.addEventListener('click', () => actions.cancel(command));
    body.push(h('div', { class: 'card-actions' }, cancel,
      ...(command.cancelError ? [h('p', { class: 'cancel-error', role: 'alert' }, command.cancelError)] : [])));
  } else if (first && TERMINAL.has(command.status)) {
    const rerun = h('button', { type: 'button', class: 'rerun', disabled: command.rerunning, title: t.card.rerunTitle(first.command_id) },
      command.rerunning ? t.card.rerunning : t.card.runAgain);
    rerun.addEventListener('click', () => actions.rerun(command));
    body.push(h('div', { class: 'card-actions' }, rerun,
      ...(command.rerunError ? [h('p', { class: 'cancel-error', role: 'alert' }, command.rerunError)] : [])));
  }
  card.replaceChildren(...body);
}

/** The risk NEXUS settled on: what the command ran at, else what its ask was raised at. */
function riskOf(reports: Report[]): string | undefined {
  for (let i = reports.length - 1; i >= 0; i -= 1) {
    const r = reports[i];
    if (r?.report_type === 'task_completed' || r?.report_type === 'ask_created') return r.payload.risk_level;
  }
  return undefined;
}

/** The agent, for a card whose `command_accepted` is not on the page (beyond the loaded history). */
function agentOf(reports: Report[]): string | undefined {
  for (const r of reports) if (r.report_type === 'task_started' && r.payload.agent) return r.payload.agent;
  return undefined;
}

function outcomeOf(reports: Report[], command: CommandView, actions: CardActions): HTMLElement | undefined {
  for (let i = reports.length - 1; i >= 0; i -= 1) {
    const r = reports[i];
    if (r?.report_type === 'task_completed') {
      const label = h('span', { class: 'outcome-label' }, t.card.result);
      const json = h('pre', { class: 'mono' }, formatJson(r.payload.result));
      const outbox = outboxResultOf(r.payload.result);
      const delivery = deliveryOf(r.payload.result);
      const view = outbox
        ? outboxView(outbox, { download: () => actions.downloadOutbox(outbox), send: (changes) => actions.rerun(command, changes), sending: command.rerunning })
        : delivery ? deliveryView(delivery) : undefined;
      if (!view) return h('div', { class: 'outcome ok' }, label, json);
      return h('div', { class: 'outcome ok' }, label, view, h('details', { class: 'raw-result' }, h('summary', {}, t.card.rawResult), json));
    }
    if (r?.report_type === 'task_failed') {
      const { code, message, retryable } = r.payload.error;
      return h('div', { class: 'outcome bad', role: 'note' },
        h('span', { class: 'outcome-label' }, t.card.error(code, retryable)),
        h('p', {}, message),
      );
    }
  }
  return undefined;
}
