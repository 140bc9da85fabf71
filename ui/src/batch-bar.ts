import type { Decision } from '../../contracts/index.js';
import { h } from './element.js';
import { t } from './i18n/locale.js';

/**
 * Deciding the ticked asks at once (a plan's calls, a morning's requests): one request, but each ask is still its own
 * decision on the action its card shows. Shown only when there is more than one ask to choose from.
 */
export class BatchBar {
  private readonly count = h('span', { class: 'batch-count', role: 'status' });
  private readonly reason = h('input', { id: 'batch-reason', class: 'reason', autocomplete: 'off', maxlength: 2000, placeholder: t.inbox.reasonPlaceholder });
  private readonly approve = h('button', { type: 'button', class: 'approve batch-approve' }, t.inbox.approveSelected);
  private readonly deny = h('button', { type: 'button', class: 'deny batch-deny' }, t.inbox.denySelected);
  readonly root = h('div', { class: 'batch', hidden: true },
    h('p', { class: 'hint' }, t.inbox.batchHint),
    h('div', { class: 'field' }, h('label', { for: 'batch-reason' }, t.inbox.reason), this.reason),
    h('div', { class: 'actions' }, this.approve, this.deny, this.count),
  );

  constructor(onDecide: (decision: Decision, reason: string) => void) {
    const send = (decision: Decision) => {
      onDecide(decision, this.reason.value);
      this.reason.value = '';
    };
    this.approve.addEventListener('click', () => send('approve'));
    this.deny.addEventListener('click', () => send('deny'));
  }

  show(selected: number, choosable: number): void {
    this.root.hidden = choosable < 2;
    this.count.textContent = t.inbox.selected(selected);
    this.approve.disabled = selected === 0;
    this.deny.disabled = selected === 0;
  }
}
