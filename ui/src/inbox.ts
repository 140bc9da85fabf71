import type { Decision, ReportOf, Tenant } from '../../contracts/index.js';
import { postJson } from './api-client.js';
import { h } from './element.js';
import { formatCountdown, formatJson } from './format.js';
import type { AskView, DashboardState } from './state.js';
import { t } from './i18n/locale.js';
import { previewDetails } from './preview-details.js';
import { linkPanel } from './link-panel.js';
import { aheadPanel } from './ahead-panel.js';
import { BatchBar } from './batch-bar.js';

const APPROVER_KEY = 'nexus.approver';

interface AskCard {
  root: HTMLElement;
  /** Ticked to be decided with others (the batch bar). */
  pick: HTMLInputElement;
  /** Ticks every open ask of this card's command (a plan's RED calls, asked together) and nothing else. */
  pickPlan: HTMLButtonElement;
  /** The command's own id (a correlation id is the client's and may be shared). */
  workflowId: string;
  countdown: HTMLElement;
  buttons: HTMLButtonElement[];
  progress: HTMLElement;
  error: HTMLElement;
  reason: HTMLInputElement;
  /** Who NEXUS told about the ask, and where. */
  notices: HTMLElement;
  expiresAt: number;
}

/**
 * Pending asks, each showing exactly what will run (agent, params, digest) and a live countdown. A click only
 * marks the ask "deciding…": it leaves the inbox when `ask_resolved`/`ask_expired` arrives on the stream,
 * never because a POST answered 202.
 */
export class Inbox {
  private readonly cards = new Map<string, AskCard>();
  private readonly list = h('div', { class: 'asks' });
  private readonly empty = h('p', { class: 'empty' }, t.inbox.nothingWaiting);
  private readonly batch = new BatchBar((decision, reason) => this.decideSelected(decision, reason));
  // Local mode records this name (empty: `local`, what the server records then) as decided_by; with a token the
  // server records the token's user and ignores the field, so it is locked (see `useToken`).
  private readonly approver = h('input', { id: 'approver', autocomplete: 'username', spellcheck: 'false', placeholder: 'local', maxlength: 128, pattern: '[A-Za-z0-9_.:\\-]{1,128}', title: t.inbox.approverTitle });

  constructor(
    root: HTMLElement,
    private readonly state: DashboardState,
    private readonly getTenant: () => Tenant,
    /** A standing approval was made from an ask here: the list of them is read again. */
    private readonly onStandingMade: () => void = () => undefined,
  ) {
    this.approver.value = readStored(APPROVER_KEY);
    this.approver.addEventListener('change', () => writeStored(APPROVER_KEY, this.approver.value.trim()));
    root.append(
      h('div', { class: 'approver' }, h('label', { for: 'approver' }, t.inbox.decidingAs), this.approver),
      this.empty,
      this.batch.root,
      this.list,
    );
    setInterval(() => this.tick(), 1000);
  }

  update(): void {
    for (const [askId, card] of this.cards) {
      if (!this.state.asks.has(askId)) {
        card.root.remove();
        this.cards.delete(askId);
      }
    }
    for (const [askId, ask] of this.state.asks) {
      let card = this.cards.get(askId);
      if (!card) {
        card = this.build(ask.report);
        this.cards.set(askId, card);
        this.list.prepend(card.root);
      }
      this.refresh(card, ask);
    }
    this.empty.hidden = this.cards.size > 0;
    this.tick();
    this.syncBatch();
  }

  clear(): void {
    this.cards.clear();
    this.list.replaceChildren();
    this.empty.hidden = false;
  }

  /** With a token the server records the token's user: the name field would only mislead. */
  useToken(hasToken: boolean): void {
    this.approver.disabled = hasToken;
    this.approver.value = hasToken ? '' : readStored(APPROVER_KEY);
    this.approver.placeholder = hasToken ? t.inbox.tokenUser : 'local';
  }

  private build(report: ReportOf<'ask_created'>): AskCard {
    const p = report.payload;
    const id = p.ask_id;
    const risk = p.risk_level.toLowerCase();
    const countdown = h('span', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
    const pick = h('input', { type: 'checkbox', class: 'pick', 'aria-label': t.inbox.pick(p.title) });
    pick.addEventListener('change', () => this.syncBatch());
    const pickPlan = h('button', { type: 'button', class: 'pick-plan', hidden: true, 'aria-describedby': `ask-title-${id}` });
    pickPlan.addEventListener('click', () => this.pickPlan(report.workflow_id));
    const reason = h('input', { id: `reason-${id}`, class: 'reason', autocomplete: 'off', maxlength: 2000, placeholder: t.inbox.reasonPlaceholder });
    const approve = h('button', { type: 'button', class: 'approve' }, t.inbox.approve);
    const deny = h('button', { type: 'button', class: 'deny' }, t.inbox.deny);
    const progress = h('span', { class: 'deciding', role: 'status' });
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const notices = h('ul', { class: 'notices', 'aria-label': t.inbox.told, hidden: true });
    approve.addEventListener('click', () => void this.decide(report, 'approve', reason.value));
    deny.addEventListener('click', () => void this.decide(report, 'deny', reason.value));
    const edit = this.editPanel(report, reason);
    const root = h('article', { class: `ask risk-${risk}`, 'data-ask-id': id, 'aria-labelledby': `ask-title-${id}` },
      h('header', { class: 'ask-head' },
        pick,
        h('span', { class: `risk risk-${risk}` }, p.risk_level),
        h('h3', { id: `ask-title-${id}` }, p.title),
        countdown,
      ),
      // Facts first: NEXUS's own account of what will run; the model's words come last and say whose they are.
      h('p', { class: 'desc' }, p.description),
      p.edited_from ? h('p', { class: 'edited-from' }, t.inbox.editedFrom(p.edited_from.edited_by)) : null,
      pickPlan,
      notices,
      p.risk_reasons?.length ? h('ul', { class: 'reasons', 'aria-label': t.inbox.why(p.risk_level) }, ...p.risk_reasons.map((r) => h('li', {}, r))) : null,
      p.preview ? h('section', { class: 'ask-preview', 'aria-label': t.inbox.preview }, previewDetails(p.preview)) : null,
      h('dl', { class: 'action' },
        h('dt', {}, t.inbox.agent), h('dd', { class: 'action-agent' }, p.action.agent),
        h('dt', {}, t.inbox.params), h('dd', {}, h('pre', { class: 'mono action-params' }, formatJson(p.action.params))),
        p.preview ? h('dt', {}, t.inbox.preview) : null,
        p.preview ? h('dd', {}, h('details', { class: 'raw-result' }, h('summary', {}, t.inbox.previewJson), h('pre', { class: 'mono' }, formatJson(p.preview)))) : null,
        h('dt', {}, t.inbox.digest), h('dd', {}, h('code', { class: 'digest' }, p.action_digest)),
        h('dt', {}, t.inbox.command), h('dd', {}, h('a', { href: `#cmd`, class: 'cid-link', 'data-cid': report.correlation_id }, report.correlation_id)),
        p.instruction !== undefined ? h('dt', {}, t.inbox.instruction) : null, p.instruction !== undefined ? h('dd', { class: 'instruction' }, p.instruction) : null,
      ),
      p.model_words
        ? h('blockquote', { class: 'model-words', 'aria-label': t.inbox.modelWordsLabel },
          h('p', { class: 'model-label' }, t.inbox.modelWords),
          h('p', { class: 'model-title' }, p.model_words.title),
          h('p', {}, p.model_words.description))
        : null,
      h('div', { class: 'field' }, h('label', { for: `reason-${id}` }, t.inbox.reason), reason),
      h('div', { class: 'actions' }, approve, deny, progress),
      edit.panel,
      linkPanel(report, this.getTenant, () => this.callerHeaders()),
      aheadPanel(report, this.getTenant, () => this.callerHeaders(), this.onStandingMade),
      error,
    );
    root.querySelector('.cid-link')?.addEventListener('click', (e) => {
      e.preventDefault();
      const search = document.getElementById('search') as HTMLInputElement | null;
      if (search) {
        search.value = report.correlation_id;
        search.dispatchEvent(new Event('input'));
        document.querySelector<HTMLElement>(`[data-correlation-id="${CSS.escape(report.correlation_id)}"]`)?.scrollIntoView({ block: 'nearest' });
      }
    });
    return { root, pick, pickPlan, workflowId: report.workflow_id, countdown, buttons: [approve, deny, edit.submit], progress, error, reason, notices, expiresAt: Date.parse(p.expires_at) };
  }

  /**
   * Edit and approve: the params as JSON, changed and sent with the approval. NEXUS treats the edit as a new action
   * (assessed again; when it needs approval, a new ask that its editor may not approve), and says so here.
   */
  private editPanel(report: ReportOf<'ask_created'>, reason: HTMLInputElement): { panel: HTMLElement; submit: HTMLButtonElement } {
    const id = report.payload.ask_id;
    const editor = h('textarea', { id: `edit-${id}`, class: 'mono edit-params', rows: 6, spellcheck: 'false', 'aria-describedby': `edit-hint-${id}` });
    editor.value = formatJson(report.payload.action.params);
    const submit = h('button', { type: 'button', class: 'approve-edited' }, t.inbox.approveEdited);
    submit.addEventListener('click', () => {
      let params: unknown;
      try {
        params = JSON.parse(editor.value);
      } catch {
        params = undefined;
      }
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        this.state.decisionRefused(id, t.inbox.editedNotObject);
        return;
      }
      void this.decide(report, 'approve', reason.value, params as Record<string, unknown>);
    });
    const panel = h('details', { class: 'edit' },
      h('summary', {}, t.inbox.editAndApprove),
      h('p', { class: 'hint', id: `edit-hint-${id}` }, t.inbox.editHint),
      h('label', { for: `edit-${id}` }, t.inbox.paramsFor(report.payload.action.agent)),
      editor,
      h('div', { class: 'actions' }, submit),
    );
    return { panel, submit };
  }

  private refresh(card: AskCard, ask: AskView): void {
    card.progress.textContent = ask.deciding ? t.inbox.deciding(ask.deciding) : '';
    card.root.classList.toggle('is-deciding', ask.deciding !== undefined);
    card.error.textContent = ask.error ?? '';
    card.error.hidden = !ask.error;
    card.notices.replaceChildren(...ask.notices.map((n) => h('li', { class: `notice notice-${n.status}`, title: n.error?.message ?? '' },
      n.status === 'sent' ? t.inbox.toldBy(n.approver, t.inbox.channel[n.channel]) : t.inbox.notTold(n.approver, t.inbox.channel[n.channel], n.error?.message ?? ''))));
    card.notices.hidden = ask.notices.length === 0;
    this.syncButtons(card, ask);
  }

  private syncButtons(card: AskCard, ask: AskView | undefined): void {
    const expired = card.expiresAt <= Date.now();
    const closed = expired || ask?.deciding !== undefined;
    for (const b of card.buttons) b.disabled = closed;
    // A card being decided (or past its time) cannot be picked: its ask is no longer the approver's to choose.
    if (closed && card.pick.checked) {
      card.pick.checked = false;
      this.syncBatch();
    }
    card.pick.disabled = closed;
  }

  private syncBatch(): void {
    let choosable = 0;
    let selected = 0;
    const perCommand = new Map<string, number>();
    for (const card of this.cards.values()) {
      if (card.pick.disabled) continue;
      choosable += 1;
      if (card.pick.checked) selected += 1;
      perCommand.set(card.workflowId, (perCommand.get(card.workflowId) ?? 0) + 1);
    }
    for (const card of this.cards.values()) {
      const asks = perCommand.get(card.workflowId) ?? 0;
      card.pickPlan.hidden = card.pick.disabled || asks < 2;
      card.pickPlan.textContent = t.inbox.pickPlan(asks);
    }
    this.batch.show(selected, choosable);
  }

  /** The plan's asks, ticked together for the batch bar: the approver still reads each card and clicks once more. */
  private pickPlan(workflowId: string): void {
    for (const card of this.cards.values()) card.pick.checked = !card.pick.disabled && card.workflowId === workflowId;
    this.syncBatch();
    this.batch.focus();
  }

  /**
   * The ticked asks, in one `POST /approvals/decide`: each is marked deciding, each refusal shows on its own card.
   * Answers whether anything was sent.
   */
  private async decideSelected(decision: Decision, reason: string): Promise<boolean> {
    const picked = [...this.cards].flatMap(([askId, card]) => {
      const ask = this.state.asks.get(askId);
      return card.pick.checked && !card.pick.disabled && ask && ask.deciding === undefined ? [ask.report] : [];
    });
    if (picked.length === 0) return false;
    if (!this.approver.disabled && this.approver.value.trim() && !this.approver.checkValidity()) {
      for (const report of picked) this.state.decisionRefused(report.payload.ask_id, t.inbox.badApprover);
      return false;
    }
    for (const report of picked) this.state.markDeciding(report.payload.ask_id, decision);
    const why = reason.trim() ? { reason: reason.trim() } : {};
    const outcome = await postJson(
      '/approvals/decide',
      { decisions: picked.map((r) => ({ ask_id: r.payload.ask_id, decision, action_digest: r.payload.action_digest, ...why })) },
      this.getTenant(),
      this.callerHeaders(),
    );
    // Accepted ones stay "deciding…" until the stream resolves them; each refused one says why on its card.
    if (outcome.accepted) {
      const results = (outcome.body as { results?: Array<{ ask_id: string; status: string; error?: { message: string } }> } | undefined)?.results ?? [];
      for (const r of results) if (r.status === 'refused') this.state.decisionRefused(r.ask_id, t.inbox.notDecided(r.error?.message ?? ''));
      return true;
    }
    picked.forEach((report, i) => {
      const issue = outcome.issues.find((x) => x.path === `decisions.${i}`);
      this.state.decisionRefused(report.payload.ask_id, t.inbox.notDecided(issue?.message ?? outcome.message));
    });
    return true;
  }

  private tick(): void {
    const now = Date.now();
    for (const [askId, card] of this.cards) {
      const left = card.expiresAt - now;
      card.countdown.textContent = left > 0 ? t.inbox.expiresIn(formatCountdown(left)) : t.inbox.expiredWaiting;
      card.countdown.classList.toggle('urgent', left < 60_000);
      if (left <= 0) this.syncButtons(card, this.state.asks.get(askId));
    }
  }

  /** Local mode: who acts, from "Deciding as" (with a token the server knows, and ignores the header). */
  callerHeaders(): Record<string, string> {
    const approver = this.approver.disabled ? '' : this.approver.value.trim();
    return approver && this.approver.checkValidity() ? { 'x-user-id': approver } : {};
  }

  private async decide(report: ReportOf<'ask_created'>, decision: Decision, reason: string, params?: Record<string, unknown>): Promise<void> {
    const askId = report.payload.ask_id;
    this.state.markDeciding(askId, decision);
    if (!this.approver.disabled && this.approver.value.trim() && !this.approver.checkValidity()) {
      this.state.decisionRefused(askId, t.inbox.badApprover);
      return;
    }
    const outcome = await postJson(
      `/approvals/${encodeURIComponent(askId)}/decide`,
      {
        decision,
        action_digest: report.payload.action_digest,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(params !== undefined ? { params } : {}),
      },
      this.getTenant(),
      this.callerHeaders(),
    );
    // A 202 changes nothing on screen: the ask stays "deciding…" until the stream says how it was resolved.
    if (!outcome.accepted) {
      const details = outcome.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      this.state.decisionRefused(askId, t.inbox.notDecided(`${outcome.message}${details ? ` (${details})` : ''}`));
    }
  }
}

function readStored(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function writeStored(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage disabled: the field still works for this visit
  }
}
