import { temporalListUrl, type UiConfig } from './config.js';
import { h } from './element.js';
import { renderCard } from './command-card.js';
import { formatWhen } from './format.js';
import { downloadOutbox } from './outbox-download.js';
import type { Tenant } from '../../contracts/index.js';
import { newClientId, postJson } from './api-client.js';
import type { CommandView, DashboardState } from './state.js';
import { STATUS_LABEL, type CommandStatus } from './status.js';
import { t } from './i18n/locale.js';
import { CLIENT_KEY_PATTERN } from '../../contracts/client-key-pattern.js';

/** The timeline: one card per correlation id, newest first, filtered by status and correlation id. */
export class Timeline {
  private readonly cards = new Map<string, HTMLElement>();
  private readonly list = h('div', { class: 'cards', id: 'cards' });
  private readonly empty = h('p', { class: 'empty', id: 'timeline-empty' });
  /** Whether the stream of this tenant has caught up once: before that, an empty list means nothing. */
  private loaded = false;
  private readonly count = h('span', { class: 'count', 'aria-live': 'off' });
  private readonly statusFilter = h('select', { id: 'status-filter', 'aria-label': t.timeline.filterStatus },
    h('option', { value: '' }, t.timeline.allStatuses),
    ...(Object.keys(STATUS_LABEL) as CommandStatus[]).map((s) => h('option', { value: s }, STATUS_LABEL[s])),
  );
  private readonly agentFilter = h('select', { id: 'agent-filter', 'aria-label': t.timeline.filterAgent }, h('option', { value: '' }, t.timeline.allAgents));
  private readonly riskFilter = h('select', { id: 'risk-filter', 'aria-label': t.timeline.filterRisk },
    h('option', { value: '' }, t.timeline.anyRisk), ...['GREEN', 'YELLOW', 'RED'].map((r) => h('option', { value: r }, r)));
  private readonly search = h('input', { id: 'search', type: 'search', placeholder: t.timeline.searchPlaceholder, 'aria-label': t.timeline.searchLabel, autocomplete: 'off', spellcheck: 'false' });
  private readonly open = h('a', { id: 'open-correlation', class: 'link', hidden: true });
  private readonly history = h('div', { class: 'history', id: 'history' });
  private readonly agents = new Set<string>();
  /** Set when this list is the detail view of one command: every report shown, no list controls. */
  private readonly expanded: boolean;

  constructor(
    root: HTMLElement,
    private readonly state: DashboardState,
    private readonly config: UiConfig,
    private readonly getTenant: () => Tenant,
    private readonly onOlder: () => void,
    detail = false,
  ) {
    this.expanded = detail;
    const filters = h('div', { class: 'filters' }, this.statusFilter, this.agentFilter, this.riskFilter, this.search, this.open, this.count);
    root.append(...(detail ? [] : [filters]), this.empty, this.list, this.history);
    this.showLoading();
    for (const control of [this.statusFilter, this.agentFilter, this.riskFilter]) control.addEventListener('change', () => this.applyFilter());
    this.search.addEventListener('input', () => this.applyFilter());
  }

  /** The foot of the list: how far back it goes, and the way further back while there is more. */
  showHistory(view: HistoryView): void {
    const parts: Array<Node | string> = [];
    if (view.oldestTs) parts.push(h('span', { class: 'history-reach' }, t.timeline.historyReach(formatWhen(view.oldestTs))), ' ');
    if (view.more) {
      const older = h('button', { type: 'button', id: 'load-older', disabled: view.loading }, view.loading ? t.timeline.loadingOlder : this.expanded ? t.timeline.lookFurther : t.timeline.loadOlder);
      older.addEventListener('click', () => this.onOlder());
      parts.push(older);
    } else if (view.trimmedUpTo !== null) {
      parts.push(h('span', { class: 'history-end', 'data-end': 'trimmed' }, t.timeline.trimmed));
      const all = temporalListUrl(this.config);
      if (all) parts.push(h('a', { href: all, target: '_blank', rel: 'noopener' }, t.timeline.temporalKeepsAll));
    } else if (view.loaded) {
      parts.push(h('span', { class: 'history-end', 'data-end': 'start' }, t.timeline.beginning));
    }
    if (view.error) parts.push(h('p', { class: 'cancel-error', role: 'alert' }, t.timeline.olderFailed(view.error)));
    this.history.replaceChildren(...parts);
  }

  update(correlationIds: Iterable<string>): void {
    for (const id of correlationIds) {
      const command = this.state.commands.get(id);
      if (!command) continue;
      let card = this.cards.get(id);
      if (!card) {
        card = h('article', { class: 'card', 'data-correlation-id': id });
        this.cards.set(id, card);
        this.list.prepend(card);
      }
      renderCard(card, command, this.config, {
        cancel: (c) => void this.cancel(c),
        rerun: (c, changes) => void this.rerun(c, changes),
        downloadOutbox: (result) => downloadOutbox(result, this.getTenant()),
        detailHref: (c) => detailHref(c.correlationId, this.getTenant()),
        expanded: this.expanded,
      });
      // Older commands arrive after newer ones when paging back: the list keeps newest first either way.
      this.place(card, command);
      this.noteAgent(card.dataset.agent ?? '');
      card.hidden = !this.matches(card);
    }
    this.updateCount();
  }

  private place(card: HTMLElement, command: CommandView): void {
    const key = sortKey(command);
    card.dataset.sort = key;
    let next: Element | null = null;
    for (const other of this.list.children) {
      if (other !== card && ((other as HTMLElement).dataset.sort ?? '') < key) {
        next = other;
        break;
      }
    }
    if (card.parentElement === this.list && card.nextElementSibling === next) return;
    this.list.insertBefore(card, next);
  }

  private noteAgent(agent: string): void {
    if (agent === '' || this.agents.has(agent)) return;
    this.agents.add(agent);
    const options = [...this.agents].sort();
    const chosen = this.agentFilter.value;
    this.agentFilter.replaceChildren(h('option', { value: '' }, t.timeline.allAgents), ...options.map((a) => h('option', { value: a }, a)));
    this.agentFilter.value = chosen;
  }

  /** Asks the API to cancel; a 202 changes nothing but the note: the stream says how the command ended. */
  private async cancel(command: CommandView): Promise<void> {
    const commandId = command.reports[0]?.report.command_id;
    if (!commandId) return;
    this.state.markCancelling(command.correlationId);
    const outcome = await postJson(`/commands/${encodeURIComponent(commandId)}/cancel`, { reason: 'cancelled from the dashboard' }, this.getTenant());
    if (!outcome.accepted) this.state.cancelRefused(command.correlationId, t.timeline.cancelRefused(outcome.message));
  }

  /**
   * Asks the API for a new command with this one's request. The page picks the new ids (a retried click is the same
   * re-run) and shows the new card as "sent" until the stream has it.
   */
  private async rerun(command: CommandView, changes?: Record<string, unknown>): Promise<void> {
    const commandId = command.reports[0]?.report.command_id;
    if (!commandId) return;
    const next = newClientId('rerun');
    this.state.noteRerun(command.correlationId, true, undefined);
    const body = { command_id: next, correlation_id: next, ...(changes ? { params: changes } : {}) };
    const outcome = await postJson(`/commands/${encodeURIComponent(commandId)}/rerun`, body, this.getTenant());
    if (!outcome.accepted) {
      this.state.noteRerun(command.correlationId, false, t.timeline.rerunRefused(outcome.message));
      return;
    }
    this.state.noteRerun(command.correlationId, false, undefined);
    // The detail view follows one correlation id: the new command is shown on a detail view of its own.
    if (this.expanded) location.assign(detailHref(next, this.getTenant()));
    else this.state.markSent(next);
  }

  clear(): void {
    this.cards.clear();
    this.agents.clear();
    this.list.replaceChildren();
    this.history.replaceChildren();
    this.showLoading();
    this.updateCount();
  }

  /** The stream caught up: from now on an empty list really is empty. */
  caughtUp(): void {
    this.loaded = true;
    this.empty.dataset.state = 'empty';
    // The detail view says itself when its command has no report (with the way to Temporal).
    this.empty.textContent = this.expanded ? '' : t.timeline.empty;
    this.updateCount();
  }

  /** The stream failed before it ever caught up: say that nothing could be loaded, not that there is nothing. */
  notLoaded(cause: string): void {
    if (this.loaded) return;
    this.empty.dataset.state = 'unavailable';
    this.empty.textContent = t.timeline.notLoaded(cause);
  }

  private showLoading(): void {
    this.loaded = false;
    this.empty.dataset.state = 'loading';
    this.empty.textContent = t.timeline.loading;
  }

  private matches(card: HTMLElement): boolean {
    if (this.expanded) return true;
    const { status, agent, risk, correlationId } = card.dataset;
    const needle = this.search.value.trim().toLowerCase();
    return (this.statusFilter.value === '' || status === this.statusFilter.value)
      && (this.agentFilter.value === '' || agent === this.agentFilter.value)
      && (this.riskFilter.value === '' || risk === this.riskFilter.value)
      && (needle === '' || (correlationId ?? '').toLowerCase().includes(needle));
  }

  private applyFilter(): void {
    for (const card of this.cards.values()) card.hidden = !this.matches(card);
    // The list holds only the history loaded so far; the detail view finds a command however far back it is.
    const id = this.search.value.trim();
    this.open.hidden = !CLIENT_KEY_PATTERN.test(id);
    if (!this.open.hidden) {
      this.open.setAttribute('href', detailHref(id, this.getTenant()));
      this.open.textContent = t.timeline.openId(id);
    }
    this.updateCount();
  }

  private updateCount(): void {
    const total = this.cards.size;
    const shown = [...this.cards.values()].filter((c) => !c.hidden).length;
    this.count.textContent = total === shown ? t.timeline.loaded(total) : t.timeline.shownOfLoaded(shown, total);
    this.empty.hidden = total > 0 || this.empty.textContent === '';
  }
}

export interface HistoryView {
  /** Whether the first page arrived (before that, the foot says nothing). */
  loaded: boolean;
  more: boolean;
  loading: boolean;
  error: string | undefined;
  trimmedUpTo: string | null;
  /** The stamp of the oldest report loaded. */
  oldestTs: string | undefined;
}

/** `/ui/commands/<correlation_id>?org_id=…&project_id=…`: a link that opens the same command for whoever has it. */
export function detailHref(correlationId: string, tenant: Tenant): string {
  const q = new URLSearchParams({ org_id: tenant.org_id, project_id: tenant.project_id });
  return `/ui/commands/${encodeURIComponent(correlationId)}?${q}`;
}

/** Newest first by the first report's stream id; a card the page sent that has no report yet sorts on top. */
function sortKey(command: CommandView): string {
  const id = command.reports[0]?.streamId;
  if (!id) return `~${String(command.sentAt ?? 0).padStart(15, '0')}`;
  const [ms = '0', seq = '0'] = id.split('-');
  return `${ms.padStart(15, '0')}-${seq.padStart(10, '0')}`;
}
