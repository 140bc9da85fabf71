import type { Report } from '../../contracts/index.js';
import { workflowUrl, type UiConfig } from './config.js';
import { h } from './element.js';
import { formatClock, formatDuration, formatJson } from './format.js';
import { reportRow } from './report-row.js';
import type { CommandView } from './state.js';
import { STATUS_LABEL, TERMINAL } from './status.js';

/** What a card's buttons do (the timeline posts; the card only draws). */
export interface CardActions {
  cancel(command: CommandView): void;
  rerun(command: CommandView): void;
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
  const what = accepted?.report_type === 'command_accepted' ? (accepted.payload.agent ?? accepted.payload.type) : undefined;

  const meta: (string | Node)[] = [];
  if (what) meta.push(h('span', { class: 'what' }, what));
  if (accepted?.report_type === 'command_accepted' && accepted.payload.rerun_of !== undefined) {
    meta.push(h('span', { class: 'rerun-of', title: 'the command_id this command repeats' }, `re-run of ${accepted.payload.rerun_of}`));
  }
  if (first && last && TERMINAL.has(command.status)) {
    meta.push(h('span', { class: 'duration', title: 'from command_accepted to the final report' }, formatDuration(Date.parse(last.ts) - Date.parse(first.ts))));
  } else if (first) {
    meta.push(h('span', { class: 'since' }, `since ${formatClock(first.ts)}`));
  } else if (command.sentAt !== undefined) {
    meta.push(h('span', { class: 'since' }, `sent ${formatClock(new Date(command.sentAt).toISOString())}`));
  }

  const head = h('header', { class: 'card-head' },
    h('span', { class: `badge badge-${command.status}`, 'data-role': 'status' }, STATUS_LABEL[command.status]),
    h('h3', { class: 'cid' }, command.correlationId),
    h('span', { class: 'meta' }, ...meta),
    ...workflowIds.flatMap((id) => {
      const href = workflowUrl(config, id);
      return href ? [h('a', { class: 'temporal-link', href, target: '_blank', rel: 'noopener', title: `Open ${id} in the Temporal Web UI` }, 'Temporal ↗')] : [];
    }),
  );

  const body: Node[] = [head];
  if (reports.length === 0) {
    body.push(h('p', { class: 'waiting-note' }, 'Accepted by the API (202). Waiting for the first report on the stream…'));
  } else {
    body.push(h('ol', { class: 'rows', 'aria-label': `reports for ${command.correlationId}` }, ...command.reports.map((r) => reportRow(r.streamId, r.report))));
  }
  const outcome = outcomeOf(reports);
  if (outcome) body.push(outcome);
  if (first && !TERMINAL.has(command.status)) {
    const cancel = h('button', { type: 'button', class: 'cancel', disabled: command.cancelling, title: `POST /commands/${first.command_id}/cancel` },
      command.cancelling ? 'cancelling…' : 'Cancel');
    cancel.addEventListener('click', () => actions.cancel(command));
    body.push(h('div', { class: 'card-actions' }, cancel,
      ...(command.cancelError ? [h('p', { class: 'cancel-error', role: 'alert' }, command.cancelError)] : [])));
  } else if (first && TERMINAL.has(command.status)) {
    const rerun = h('button', { type: 'button', class: 'rerun', disabled: command.rerunning, title: `POST /commands/${first.command_id}/rerun: a new command with the same request, approved anew when RED` },
      command.rerunning ? 're-running…' : 'Run again');
    rerun.addEventListener('click', () => actions.rerun(command));
    body.push(h('div', { class: 'card-actions' }, rerun,
      ...(command.rerunError ? [h('p', { class: 'cancel-error', role: 'alert' }, command.rerunError)] : [])));
  }
  card.replaceChildren(...body);
}

function outcomeOf(reports: Report[]): HTMLElement | undefined {
  for (let i = reports.length - 1; i >= 0; i -= 1) {
    const r = reports[i];
    if (r?.report_type === 'task_completed') {
      return h('div', { class: 'outcome ok' }, h('span', { class: 'outcome-label' }, 'Result'), h('pre', { class: 'mono' }, formatJson(r.payload.result)));
    }
    if (r?.report_type === 'task_failed') {
      const { code, message, retryable } = r.payload.error;
      return h('div', { class: 'outcome bad', role: 'note' },
        h('span', { class: 'outcome-label' }, `Error ${code}${retryable ? ' (retryable)' : ''}`),
        h('p', {}, message),
      );
    }
  }
  return undefined;
}
