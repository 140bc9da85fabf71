import type { StandingApprovalView, Tenant } from '../../contracts/index.js';
import { h } from './element.js';
import { formatJson, formatWhen } from './format.js';
import { t } from './i18n/locale.js';
import { changeStanding, listStanding } from './standing-client.js';

/**
 * The project's standing approvals: what each covers, who approved it, until when, how often it was used, with
 * Approve (a pending one, toward its quorum) and Revoke. Read from `GET /standing-approvals` when the project opens,
 * after a change made here, and when the stream says one approved an ask.
 */
export class StandingPanel {
  private readonly list = h('ul', { class: 'standing-list', id: 'standing-list' });
  private readonly empty = h('p', { class: 'empty' }, t.standing.none);
  private readonly error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  /** Reloads answer out of order when the tenant changes fast; only the latest one is shown. */
  private generation = 0;
  private scheduled = false;

  constructor(root: HTMLElement, private readonly getTenant: () => Tenant, private readonly caller: () => Record<string, string>) {
    root.append(h('p', { class: 'hint' }, t.standing.hint), this.error, this.empty, this.list);
  }

  clear(): void {
    this.generation++;
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.error.hidden = true;
  }

  /** Several asks approved ahead in one burst of reports make one reload. */
  soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.reload();
    }, 200);
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    const answer = await listStanding(this.getTenant());
    if (generation !== this.generation) return;
    this.error.hidden = answer.ok;
    if (!answer.ok) {
      this.error.textContent = t.standing.notLoaded(answer.message);
      return;
    }
    // Newest first; those that no longer stand after the rest.
    const views = [...answer.value.standing_approvals].reverse().sort((a, b) => rank(a) - rank(b));
    this.list.replaceChildren(...views.map((v) => this.row(v)));
    this.empty.hidden = views.length > 0;
  }

  private row(view: StandingApprovalView): HTMLLIElement {
    const note = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const buttons: HTMLButtonElement[] = [];
    const act = (change: 'approve' | 'revoke') => {
      const button = h('button', { type: 'button', class: `standing-${change}` }, change === 'approve' ? t.standing.approve : t.standing.revoke);
      button.addEventListener('click', () => void (async () => {
        for (const b of buttons) b.disabled = true;
        const answer = await changeStanding(this.getTenant(), view.standing_approval_id, change, this.caller());
        if (answer.ok) {
          await this.reload();
          return;
        }
        note.textContent = t.standing.notChanged(answer.message);
        note.hidden = false;
        for (const b of buttons) b.disabled = false;
      })());
      buttons.push(button);
      return button;
    };
    const live = view.status === 'active' || view.status === 'pending';
    return h('li', { class: `standing standing-${view.status}`, 'data-standing-id': view.standing_approval_id },
      h('p', { class: 'standing-what' }, h('strong', {}, view.agent), ' · ', covers(view)),
      h('p', { class: 'standing-state' },
        h('span', { class: `pill standing-status status-${view.status}` }, t.standing.status[view.status]),
        ' ', t.standing.approvals(view.approvals_counted, view.quorum, view.approvals.map((a) => a.approver).join(', ')),
        ' · ', view.expires_at ? t.standing.until(formatWhen(view.expires_at)) : t.standing.untilRevoked,
        ' · ', h('span', { class: 'standing-uses' }, t.standing.uses(view.uses)),
      ),
      h('p', { class: 'standing-reason' }, `“${view.reason}”`),
      view.revoked_by ? h('p', { class: 'hint' }, t.standing.revokedBy(view.revoked_by, view.revoke_reason ?? '')) : null,
      live ? h('div', { class: 'actions' }, view.status === 'pending' ? act('approve') : null, act('revoke')) : null,
      note,
    );
  }
}

function covers(view: StandingApprovalView): string {
  const { match } = view;
  if ('action_digest' in match) return t.standing.exact(match.action_digest.slice(0, 19));
  return t.standing.pattern(Object.entries(match.params).map(([k, v]) => `${k} = ${formatJson(v, 200)}`).join(', '));
}

function rank(view: StandingApprovalView): number {
  return { pending: 0, active: 1, revoked: 2, expired: 3 }[view.status];
}
