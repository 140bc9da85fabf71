import type { UiConfig } from './config.js';
import { h } from './element.js';
import { renderCard } from './command-card.js';
import type { Tenant } from '../../contracts/index.js';
import { newClientId, postJson } from './api-client.js';
import type { CommandView, DashboardState } from './state.js';
import { STATUS_LABEL, type CommandStatus } from './status.js';

/** The timeline: one card per correlation id, newest first, filtered by status and correlation id. */
export class Timeline {
  private readonly cards = new Map<string, HTMLElement>();
  private readonly list = h('div', { class: 'cards', id: 'cards' });
  private readonly empty = h('p', { class: 'empty', id: 'timeline-empty' });
  /** Whether the stream of this tenant has caught up once: before that, an empty list means nothing. */
  private loaded = false;
  private readonly count = h('span', { class: 'count', 'aria-live': 'off' });
  private readonly statusFilter = h('select', { id: 'status-filter', 'aria-label': 'Filter by status' },
    h('option', { value: '' }, 'All statuses'),
    ...(Object.keys(STATUS_LABEL) as CommandStatus[]).map((s) => h('option', { value: s }, STATUS_LABEL[s])),
  );
  private readonly search = h('input', { id: 'search', type: 'search', placeholder: 'Search correlation id', 'aria-label': 'Search by correlation id', autocomplete: 'off', spellcheck: 'false' });

  constructor(root: HTMLElement, private readonly state: DashboardState, private readonly config: UiConfig, private readonly getTenant: () => Tenant) {
    root.append(h('div', { class: 'filters' }, this.statusFilter, this.search, this.count), this.empty, this.list);
    this.showLoading();
    this.statusFilter.addEventListener('change', () => this.applyFilter());
    this.search.addEventListener('input', () => this.applyFilter());
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
      renderCard(card, command, this.config, { cancel: (c) => void this.cancel(c), rerun: (c) => void this.rerun(c) });
      card.hidden = !this.matches(card);
    }
    this.updateCount();
  }

  /** Asks the API to cancel; a 202 changes nothing but the note: the stream says how the command ended. */
  private async cancel(command: CommandView): Promise<void> {
    const commandId = command.reports[0]?.report.command_id;
    if (!commandId) return;
    this.state.markCancelling(command.correlationId);
    const outcome = await postJson(`/commands/${encodeURIComponent(commandId)}/cancel`, { reason: 'cancelled from the dashboard' }, this.getTenant());
    if (!outcome.accepted) this.state.cancelRefused(command.correlationId, `Not cancelled: ${outcome.message}`);
  }

  /**
   * Asks the API for a new command with this one's request. The page picks the new ids (a retried click is the same
   * re-run) and shows the new card as "sent" until the stream has it.
   */
  private async rerun(command: CommandView): Promise<void> {
    const commandId = command.reports[0]?.report.command_id;
    if (!commandId) return;
    const next = newClientId('rerun');
    this.state.noteRerun(command.correlationId, true, undefined);
    const outcome = await postJson(`/commands/${encodeURIComponent(commandId)}/rerun`, { command_id: next, correlation_id: next }, this.getTenant());
    if (!outcome.accepted) {
      this.state.noteRerun(command.correlationId, false, `Not re-run: ${outcome.message}`);
      return;
    }
    this.state.noteRerun(command.correlationId, false, undefined);
    this.state.markSent(next);
  }

  clear(): void {
    this.cards.clear();
    this.list.replaceChildren();
    this.showLoading();
    this.updateCount();
  }

  /** The stream caught up: from now on an empty list really is empty. */
  caughtUp(): void {
    this.loaded = true;
    this.empty.dataset.state = 'empty';
    this.empty.textContent = 'No commands yet. Send one with the composer, or POST /sidecar/command.';
  }

  /** The stream failed before it ever caught up: say that nothing could be loaded, not that there is nothing. */
  notLoaded(cause: string): void {
    if (this.loaded) return;
    this.empty.dataset.state = 'unavailable';
    this.empty.textContent = `Commands cannot be loaded right now (${cause}). This list fills in as soon as the report stream is back.`;
  }

  private showLoading(): void {
    this.loaded = false;
    this.empty.dataset.state = 'loading';
    this.empty.textContent = 'Loading commands…';
  }

  private matches(card: HTMLElement): boolean {
    const status = this.statusFilter.value;
    const needle = this.search.value.trim().toLowerCase();
    return (status === '' || card.dataset.status === status) && (needle === '' || (card.dataset.correlationId ?? '').toLowerCase().includes(needle));
  }

  private applyFilter(): void {
    for (const card of this.cards.values()) card.hidden = !this.matches(card);
    this.updateCount();
  }

  private updateCount(): void {
    const total = this.cards.size;
    const shown = [...this.cards.values()].filter((c) => !c.hidden).length;
    this.count.textContent = total === shown ? `${total} command${total === 1 ? '' : 's'}` : `${shown} of ${total}`;
    this.empty.hidden = total > 0;
  }
}
