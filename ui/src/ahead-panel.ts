import type { ReportOf, Tenant } from '../../contracts/index.js';
import { h } from './element.js';
import { t } from './i18n/locale.js';
import { createStanding } from './standing-client.js';

/** How long an approval ahead may stand, as the panel offers it. */
const DURATIONS = ['1h', '8h', '24h', '7d'] as const;

/**
 * "Approve ahead…" on an ask: a standing approval of exactly this action (its digest) for a while, so the same
 * action asked again is approved without asking. It does not decide this ask: that still takes Approve or Deny.
 */
export function aheadPanel(report: ReportOf<'ask_created'>, getTenant: () => Tenant, caller: () => Record<string, string>, onMade: () => void): HTMLElement {
  const id = report.payload.ask_id;
  const duration = h('select', { id: `ahead-for-${id}`, class: 'ahead-for' }, ...DURATIONS.map((d) => h('option', { value: d, selected: d === '8h' }, t.standing.duration[d])));
  const why = h('input', { id: `ahead-why-${id}`, class: 'ahead-why', autocomplete: 'off', maxlength: 500, required: true, placeholder: t.standing.whyPlaceholder });
  const make = h('button', { type: 'button', class: 'make-ahead' }, t.standing.make);
  const result = h('p', { class: 'ahead-result', role: 'status' });
  make.addEventListener('click', () => void (async () => {
    if (!why.value.trim()) {
      result.className = 'ahead-result field-error';
      result.textContent = t.standing.whyNeeded;
      return;
    }
    make.disabled = true;
    const answer = await createStanding(getTenant(), {
      agent: report.payload.action.agent,
      match: { action_digest: report.payload.action_digest },
      expires_in: duration.value,
      reason: why.value.trim(),
    }, caller());
    make.disabled = false;
    result.className = answer.ok ? 'ahead-result' : 'ahead-result field-error';
    result.textContent = answer.ok
      ? answer.value.status === 'active' ? t.standing.madeActive : t.standing.madePending(answer.value.quorum - answer.value.approvals_counted)
      : t.standing.notMade(answer.message);
    if (answer.ok) onMade();
  })());
  return h('details', { class: 'ask-ahead' },
    h('summary', {}, t.standing.panel),
    h('p', { class: 'hint' }, t.standing.panelHint),
    h('div', { class: 'field' }, h('label', { for: `ahead-for-${id}` }, t.standing.forHowLong), duration),
    h('div', { class: 'field' }, h('label', { for: `ahead-why-${id}` }, t.standing.why), why),
    h('div', { class: 'actions' }, make),
    result,
  );
}
