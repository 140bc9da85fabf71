import { h } from './element.js';
import { formatJson } from './format.js';
import { t } from './i18n/locale.js';
import { formatPhone } from './phone-format.js';
import { asRecord, DRAWN_PREVIEW_FIELDS, isLeftOut, isSample } from './preview-shape.js';


/**
 * An agent's structured preview (`details` of a preview, `preview` of an ask) in the dashboard's language: the file by
 * name and full SHA-256 (what an approver checks against the file they were sent), how many get a message and how many
 * rows are left out, the columns used, the first messages, every listed left-out row with its reason, and whatever
 * else the agent said as JSON. Shared by the composer's live preview and the approvals inbox, so the teacher sees
 * beforehand exactly what the approver will.
 */
export function previewDetails(details: Record<string, unknown>): HTMLElement {
  const facts: Node[] = [];
  const file = asRecord(details.file);
  if (file && typeof file.name === 'string') {
    facts.push(h('dt', {}, t.preview.file), h('dd', { class: 'preview-file' }, file.name));
    if (typeof file.sha256 === 'string') facts.push(h('dt', {}, 'SHA-256'), h('dd', {}, h('code', { class: 'preview-sha256' }, file.sha256)));
  }
  if (typeof details.channel === 'string') facts.push(h('dt', {}, t.preview.channel), h('dd', { class: 'preview-channel' }, t.preview.channelName(details.channel)));
  const columns = asRecord(details.columns);
  if (columns && Object.keys(columns).length > 0) {
    facts.push(h('dt', {}, t.preview.columnsUsed), h('dd', { class: 'preview-columns' }, Object.entries(columns).map(([field, header]) => `${field} ← ${String(header)}`).join(' · ')));
  }
  const samples = Array.isArray(details.samples) ? details.samples.filter(isSample) : [];
  const leftOut = Array.isArray(details.invalid_rows) ? details.invalid_rows.filter(isLeftOut) : [];
  const leftOutCount = typeof details.invalid_count === 'number' ? details.invalid_count : leftOut.length;
  const rest = Object.fromEntries(Object.entries(details).filter(([key]) => !DRAWN_PREVIEW_FIELDS.has(key)));
  return h('div', { class: 'preview-details' },
    typeof details.recipients === 'number' && typeof details.rows === 'number'
      ? h('p', { class: 'preview-counts' }, t.preview.counts(details.recipients, details.rows, leftOutCount))
      : null,
    facts.length > 0 ? h('dl', { class: 'preview-facts' }, ...facts) : null,
    samples.length > 0 ? h('div', {}, h('h4', {}, t.preview.samples),
      h('ol', { class: 'preview-samples' }, ...samples.map((s) => h('li', { 'data-row': s.row }, h('span', { class: 'hint' }, `${t.preview.row(s.row)} · ${formatPhone(s.to)}`), h('br', {}), s.message)))) : null,
    leftOut.length > 0 ? h('div', {}, h('h4', {}, t.preview.leftOut),
      h('ul', { class: 'preview-left-out' }, ...leftOut.map((r) => h('li', { 'data-row': r.row }, `${t.preview.row(r.row)}: ${r.reason}`))),
      leftOutCount > leftOut.length ? h('p', { class: 'hint' }, t.preview.moreLeftOut(leftOutCount - leftOut.length)) : null) : null,
    Object.keys(rest).length > 0 ? h('pre', { class: 'mono preview-rest' }, formatJson(rest)) : null,
  );
}
