import { createHash } from 'node:crypto';
import type { ApprovalLinkRecord, ReportOf } from '../../contracts/index.js';
import { escapeHtml as esc } from '../../infra/html-escape.js';
import { en, type Messages } from '../../ui/src/i18n/en.js';
import { ko } from '../../ui/src/i18n/ko.js';
import { pickLocale, type Locale } from '../../ui/src/i18n/locale.js';
import { formatPhone } from '../../ui/src/phone-format.js';
import { asRecord, DRAWN_PREVIEW_FIELDS, isLeftOut, isSample } from '../../ui/src/preview-shape.js';

const MESSAGES: Record<Locale, Messages> = { en, ko };

/** The ask as a link's page shows it: what the `ask_created` report said, nothing the opener sent. */
export type AskShown = ReportOf<'ask_created'>['payload'];

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1b1b1b}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin:.2rem 0}
section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:.8rem 0}
.risk{display:inline-block;font-weight:700;padding:0 .4rem;border-radius:4px;background:#b3261e;color:#fff}
.risk-yellow{background:#a36b00}.risk-green{background:#2e7d32}
pre,code{font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
dt{font-weight:600}dd{margin:0 0 .4rem}
.hint{color:#555;font-size:.9rem}.model{border-style:dashed}
textarea{width:100%;box-sizing:border-box;min-height:4rem;font:inherit}
button{font:inherit;padding:.6rem 1.4rem;margin:.6rem .6rem 0 0;border-radius:6px;border:1px solid #888;cursor:pointer}
button[value=approve]{background:#1b5e20;color:#fff;border-color:#1b5e20}`;

/**
 * What the link's answers send with every page: no script may run, nothing loads from elsewhere, the form posts
 * only back here, and the link (a credential) never leaves in a Referer, a cache or a search index.
 */
export const LINK_PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
};

/** The reader's language from `Accept-Language` (q-values ignored: the first one NEXUS speaks wins). */
export function linkLocale(acceptLanguage: string | undefined): Locale {
  const tags = (acceptLanguage ?? '').split(',').map((part) => part.split(';')[0]?.trim() ?? '').filter(Boolean);
  return pickLocale(null, tags);
}

/**
 * The page a link opens: NEXUS's facts first (what runs, for how many, the preview the agent computed, why it is
 * RED, the digest), then the planner's words apart, then the form. Opening it decides nothing; only the form's
 * POST does.
 */
export function askPage(locale: Locale, record: ApprovalLinkRecord, ask: AskShown): string {
  const t = MESSAGES[locale];
  const level = ask.risk_level.toLowerCase();
  const facts = [
    `<h2><span class="risk risk-${esc(level)}">${esc(ask.risk_level)}</span> ${esc(ask.title)}</h2>`,
    `<p>${esc(ask.description)}</p>`,
    ask.preview ? previewHtml(t, ask.preview) : '',
    `<dl><dt>${esc(t.inbox.agent)}</dt><dd><code>${esc(ask.action.agent)}</code></dd>`,
    `<dt>${esc(t.inbox.params)}</dt><dd><pre>${esc(JSON.stringify(ask.action.params, null, 2))}</pre></dd>`,
    ask.risk_reasons && ask.risk_reasons.length > 0
      ? `<dt>${esc(t.inbox.why(ask.risk_level))}</dt><dd><ul>${ask.risk_reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></dd>` : '',
    `<dt>${esc(t.inbox.digest)}</dt><dd><code>${esc(ask.action_digest)}</code></dd></dl>`,
    ask.quorum && ask.quorum > 1 ? `<p>${esc(t.link.quorum(ask.quorum))}</p>` : '',
  ].join('\n');
  const words = ask.model_words || ask.instruction
    ? `<section class="model">${ask.instruction ? `<p><b>${esc(t.inbox.instruction)}:</b> ${esc(ask.instruction)}</p>` : ''}${ask.model_words
      ? `<p class="hint">${esc(t.inbox.modelWords)}</p><p><b>${esc(ask.model_words.title)}</b></p><p>${esc(ask.model_words.description)}</p>` : ''}</section>`
    : '';
  const form = `<section><form method="post">
<p class="hint">${esc(t.link.forWhom(record.approver))} ${esc(t.link.expires(when(record.expires_at)))}</p>
<label>${esc(t.inbox.reason)}<br><textarea name="reason" maxlength="2000" placeholder="${esc(t.inbox.reasonPlaceholder)}"></textarea></label>
<p class="hint">${esc(t.link.confirmHint)}</p>
<button type="submit" name="decision" value="approve">${esc(t.inbox.approve)}</button><button type="submit" name="decision" value="deny">${esc(t.inbox.deny)}</button>
</form></section>`;
  return page(locale, t.link.pageTitle, `<section>${facts}</section>${words}${form}`);
}

/** After the form's POST was accepted (202): what was sent; what it led to is the stream's to tell. */
export function sentPage(locale: Locale, decision: string): string {
  const t = MESSAGES[locale];
  return page(locale, t.link.sentTitle, `<section><p>${esc(t.link.sent(decision))}</p></section>`);
}

/** A refusal, by its stable code; the API's message says exactly why. */
export function refusalPage(locale: Locale, code: string, message: string, retryable: boolean): string {
  const t = MESSAGES[locale];
  return page(locale, t.link.refused(code), `<section><p>${esc(message)}</p>${retryable ? `<p class="hint">${esc(t.link.retryLater)}</p>` : ''}</section>`);
}

function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex, nofollow">
<title>NEXUS · ${esc(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${esc(title)}</h1>
${body}
</main></body></html>`;
}

/** The agent's structured preview, the same facts the inbox draws (counts, file, channel, samples, rows left out). */
function previewHtml(t: Messages, details: Record<string, unknown>): string {
  const parts: string[] = [];
  const leftOut = Array.isArray(details.invalid_rows) ? details.invalid_rows.filter(isLeftOut) : [];
  const leftOutCount = typeof details.invalid_count === 'number' ? details.invalid_count : leftOut.length;
  if (typeof details.recipients === 'number' && typeof details.rows === 'number') {
    parts.push(`<p><b>${esc(t.preview.counts(details.recipients, details.rows, leftOutCount))}</b></p>`);
  }
  const file = asRecord(details.file);
  const facts: string[] = [];
  if (file && typeof file.name === 'string') {
    facts.push(`<dt>${esc(t.preview.file)}</dt><dd>${esc(file.name)}</dd>`);
    if (typeof file.sha256 === 'string') facts.push(`<dt>SHA-256</dt><dd><code>${esc(file.sha256)}</code></dd>`);
  }
  if (typeof details.channel === 'string') facts.push(`<dt>${esc(t.preview.channel)}</dt><dd>${esc(t.preview.channelName(details.channel))}</dd>`);
  if (facts.length > 0) parts.push(`<dl>${facts.join('')}</dl>`);
  const samples = Array.isArray(details.samples) ? details.samples.filter(isSample) : [];
  if (samples.length > 0) {
    parts.push(`<h3>${esc(t.preview.samples)}</h3><ol>${samples.map((s) => `<li><span class="hint">${esc(t.preview.row(s.row))} · ${esc(formatPhone(s.to))}</span><br>${esc(s.message)}</li>`).join('')}</ol>`);
  }
  if (leftOut.length > 0) {
    parts.push(`<h3>${esc(t.preview.leftOut)}</h3><ul>${leftOut.map((r) => `<li>${esc(t.preview.row(r.row))}: ${esc(r.reason)}</li>`).join('')}</ul>`);
    if (leftOutCount > leftOut.length) parts.push(`<p class="hint">${esc(t.preview.moreLeftOut(leftOutCount - leftOut.length))}</p>`);
  }
  // An approver must see all of a preview: what is not drawn above is shown as JSON.
  const rest = Object.fromEntries(Object.entries(details).filter(([key]) => !DRAWN_PREVIEW_FIELDS.has(key)));
  if (Object.keys(rest).length > 0) parts.push(`<pre>${esc(JSON.stringify(rest, null, 2))}</pre>`);
  return parts.join('\n');
}

function when(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}
