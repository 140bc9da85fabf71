import type { ApprovalLinksIssued, ReportOf, Tenant } from '../../contracts/index.js';
import { tenantHeaders } from './api-client.js';
import { h } from './element.js';
import { errorText } from './error-text.js';
import { t } from './i18n/locale.js';

/**
 * "Send a link…" on an ask: makes an approval link (`POST /approvals/{ask_id}/links`) for one approver, or for the
 * caller when the field is empty, and shows it to copy into a message. The link is a credential, not state: what
 * the approver decides with it reaches this page, like every decision, only through the stream.
 */
export function linkPanel(report: ReportOf<'ask_created'>, getTenant: () => Tenant, caller: () => Record<string, string>): HTMLElement {
  const id = report.payload.ask_id;
  const who = h('input', { id: `link-for-${id}`, class: 'link-for', autocomplete: 'off', spellcheck: 'false', maxlength: 128, placeholder: t.inbox.linkForPlaceholder, pattern: '[A-Za-z0-9_.:\\-]{1,128}' });
  const make = h('button', { type: 'button', class: 'make-link' }, t.inbox.linkMake);
  const result = h('div', { class: 'link-result', role: 'status' });
  make.addEventListener('click', () => void (async () => {
    make.disabled = true;
    try {
      result.replaceChildren(await issue(id, who.value.trim(), getTenant(), caller()));
    } finally {
      make.disabled = false;
    }
  })());
  return h('details', { class: 'ask-link' },
    h('summary', {}, t.inbox.linkPanel),
    h('p', { class: 'hint' }, t.inbox.linkHint),
    h('div', { class: 'field' }, h('label', { for: `link-for-${id}` }, t.inbox.linkFor), who, make),
    result,
  );
}

async function issue(askId: string, approver: string, tenant: Tenant, caller: Record<string, string>): Promise<Node> {
  let response: Response;
  try {
    response = await fetch(`/approvals/${encodeURIComponent(askId)}/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...tenantHeaders(tenant), ...caller },
      body: JSON.stringify(approver ? { approvers: [approver] } : {}),
    });
  } catch {
    return h('p', { class: 'field-error' }, t.inbox.linkFailed(t.connection.apiUnreachable));
  }
  const text = await response.text();
  if (response.status !== 201) return h('p', { class: 'field-error' }, t.inbox.linkFailed(errorText(text) ?? t.connection.apiAnswered(response.status)));
  const link = (JSON.parse(text) as ApprovalLinksIssued).links[0];
  if (!link) return h('p', { class: 'field-error' }, t.inbox.linkFailed(t.connection.apiAnswered(response.status)));
  const url = h('input', { class: 'mono link-url', readonly: true, value: link.url });
  const copy = h('button', { type: 'button', class: 'copy-link' }, t.inbox.copy);
  copy.addEventListener('click', () => {
    url.select();
    void navigator.clipboard?.writeText(link.url).then(() => {
      copy.textContent = t.inbox.copied;
    }, () => undefined);
  });
  return h('div', {}, h('p', {}, t.inbox.linkMade(link.approver)), h('div', { class: 'actions' }, url, copy));
}
