import type { Decision } from '../../contracts/index.js';
import { MAX_BATCH_DECISIONS } from '../../contracts/batch-limit.js';
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

  private sending = false;
  private selected = 0;

  /** `onDecide` answers whether the decisions were sent (not refused on the page); the reason is kept if not. */
  constructor(onDecide: (decision: Decision, reason: string) => Promise<boolean>) {
    const send = async (decision: Decision) => {
      // One batch at a time: a second click before the answer would send the same decisions again.
      this.sending = true;
      this.sync();
      try {
        if (await onDecide(decision, this.reason.value)) this.reason.value = '';
      } finally {
        this.sending = false;
        this.sync();
      }
    };
    this.approve.addEventListener('click', () => void send('approve'));
    this.deny.addEventListener('click', () => void send('deny'));
  }

  /** Brings the approver to the bar (after ticking a plan's asks for them). */
  focus(): void {
    this.root.scrollIntoView({ block: 'nearest' });
    this.reason.focus();
  }

  show(selected: number, choosable: number): void {
    this.root.hidden = choosable < 2;
    this.selected = selected;
    this.sync();
  }

  private sync(): void {
    const tooMany = this.selected > MAX_BATCH_DECISIONS;
    this.count.textContent = tooMany ? t.inbox.tooManySelected(this.selected, MAX_BATCH_DECISIONS) : t.inbox.selected(this.selected);
    const off = this.sending || this.selected === 0 || tooMany;
    this.approve.disabled = off;
    this.deny.disabled = off;
  }
}
