import { h } from './element.js';
import { t } from './i18n/locale.js';
import type { OutboxResult } from './outbox-csv.js';
import { maskPhone } from './phone-format.js';

/** A card stays readable; the CSV has every message. */
const SHOWN_MESSAGES = 50;
/** `student.excel_kakao`'s channel that sends what the outbox recorded. */
const SEND_THROUGH_KAKAO = { channel: 'alimtalk' };

export interface OutboxViewActions {
  /** Saves every message as CSV; resolves to why not, when it could not. */
  download(): Promise<string | undefined>;
  /** Starts the same command with these params changed (here: the KakaoTalk channel, a RED command that asks first). */
  send(changes: Record<string, unknown>): void;
  /** A send was asked for and the API has not answered yet. */
  sending: boolean;
}

/**
 * An outbox run's result for review, before anything is sent: the messages as a table (row, recipient masked,
 * message), the whole outbox as CSV, and "send these through KakaoTalk", which repeats the command with the
 * KakaoTalk channel: the same file and template, so the same messages, asked for approval before any goes out.
 */
export function outboxView(result: OutboxResult, actions: OutboxViewActions): HTMLElement {
  const shown = result.messages.slice(0, SHOWN_MESSAGES);
  const total = result.messages_truncated ? result.recipients : result.messages.length;
  const problem = h('p', { class: 'cancel-error', role: 'alert', hidden: true });
  const download = h('button', { type: 'button', class: 'outbox-download' }, t.outbox.download);
  download.addEventListener('click', () => {
    download.disabled = true;
    void actions.download().then((why) => {
      download.disabled = false;
      problem.hidden = why === undefined;
      problem.textContent = why === undefined ? '' : t.outbox.downloadFailed(why);
    });
  });
  const send = h('button', { type: 'button', class: 'outbox-send primary', disabled: actions.sending || result.recipients === 0 }, actions.sending ? t.outbox.sending : t.outbox.send(result.recipients));
  send.addEventListener('click', () => actions.send(SEND_THROUGH_KAKAO));

  return h('div', { class: 'outbox', 'data-outbox-file-id': result.outbox_file_id },
    h('p', { class: 'outbox-summary' }, t.outbox.summary(result.recipients, result.rows, result.invalid_count)),
    result.file ? h('p', { class: 'hint' }, t.outbox.source(result.file.name), ' ', h('span', { class: 'mono', title: 'sha256' }, result.file.sha256.slice(0, 12))) : null,
    shown.length === 0 ? null : h('div', { class: 'outbox-scroll' }, h('table', { class: 'outbox-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t.outbox.row), h('th', { scope: 'col' }, t.outbox.recipient), h('th', { scope: 'col' }, t.outbox.message))),
      h('tbody', {}, ...shown.map((m) => h('tr', { 'data-row': m.row }, h('td', {}, m.row), h('td', { class: 'mono' }, maskPhone(m.to)), h('td', { class: 'outbox-message' }, m.message)))),
    )),
    total > shown.length ? h('p', { class: 'hint' }, t.outbox.more(shown.length, total)) : null,
    h('div', { class: 'card-actions' }, download, send),
    h('p', { class: 'hint' }, t.outbox.sendHint),
    problem,
  );
}
