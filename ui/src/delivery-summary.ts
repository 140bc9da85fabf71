import { h } from './element.js';
import { t } from './i18n/locale.js';

/** What a KakaoTalk send answered (`student.excel_kakao` with `channel: "alimtalk"`), as far as a person needs it. */
interface Delivery {
  sent: number;
  rejected: Array<{ row: number; code: string }>;
  rows: number;
  leftOut: number;
  file: string | undefined;
}

/** A send's result, recognised by its shape (`channel: "alimtalk"` and a `sent` count); else undefined. */
export function deliveryOf(result: unknown): Delivery | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as Record<string, unknown>;
  if (r.channel !== 'alimtalk' || typeof r.sent !== 'number') return undefined;
  const rejected = Array.isArray(r.rejected)
    ? r.rejected.filter((x): x is { row: number; code: string } => typeof x === 'object' && x !== null && typeof (x as { row?: unknown }).row === 'number' && typeof (x as { code?: unknown }).code === 'string')
    : [];
  const file = typeof r.file === 'object' && r.file !== null && typeof (r.file as { name?: unknown }).name === 'string' ? (r.file as { name: string }).name : undefined;
  return { sent: r.sent, rejected, rows: typeof r.rows === 'number' ? r.rows : r.sent, leftOut: typeof r.invalid_count === 'number' ? r.invalid_count : 0, file };
}

/** "22 messages sent through KakaoTalk", what the provider refused (by row and code), and the rows left out. */
export function deliveryView(delivery: Delivery): HTMLElement {
  return h('div', { class: 'delivery' },
    h('p', { class: 'delivery-summary' }, t.outbox.delivered(delivery.sent, delivery.rows, delivery.leftOut)),
    delivery.file ? h('p', { class: 'hint' }, t.outbox.source(delivery.file)) : null,
    delivery.rejected.length > 0
      ? h('div', {}, h('p', {}, t.outbox.rejected(delivery.rejected.length)),
        h('ul', { class: 'delivery-rejected' }, ...delivery.rejected.map((r) => h('li', {}, `${t.preview.row(r.row)}: ${r.code}`))))
      : null,
  );
}
