import type { PageEndEvent, Tenant } from '../../contracts/index.js';
import { fetchStreamPage } from './page-fetch.js';
import type { SseMessage } from './sse-parser.js';
import type { HistoryView } from './timeline.js';

/** Reports in the first page and in each older one: about a hundred commands, a few hundred kilobytes at most. */
const PAGE_REPORTS = 500;
/** A detail view looks back this many pages (at most 10,000 entries read each) for its command's first report. */
const DETAIL_LOOKBACK_PAGES = 10;

/**
 * History through bounded pages of the stream instead of one replay of everything retained: the newest page and every
 * open ask first, then older pages on demand. It hands each report to `apply` like a live one (the state drops
 * repeats), and tells the live stream where to continue.
 */
export class HistoryLoader {
  private before: string | undefined;
  private view: HistoryView = { loaded: false, more: false, loading: false, error: undefined, trimmedUpTo: null, oldestTs: undefined };

  constructor(
    private readonly tenant: Tenant,
    /** Set for the detail view of one command: only its reports, from as far back as they go. */
    private readonly correlationId: string | undefined,
    private readonly apply: (msg: SseMessage) => string | undefined,
    private readonly show: (view: HistoryView) => void,
    /** For the detail view: whether the command's first report has been found (no need to look further back). */
    private readonly complete: () => boolean = () => false,
  ) {}

  /** The newest page, the open asks, and (for a detail view) older pages until its first report; returns the live cursor. */
  async first(): Promise<string | undefined> {
    const newest = await this.page({});
    if (this.correlationId === undefined) {
      const asks = await fetchStreamPage(this.query({ asks: 'open' }));
      for (const event of asks.events) this.apply(event);
    } else {
      for (let i = 1; i < DETAIL_LOOKBACK_PAGES && this.view.more && !this.complete(); i += 1) await this.page({ before: this.before ?? '' });
    }
    return newest.newest_id ?? undefined;
  }

  /** One page further back; a failure is shown at the foot of the list and can be retried from there. */
  async older(): Promise<void> {
    if (!this.view.more || this.view.loading) return;
    this.update({ loading: true, error: undefined });
    try {
      await this.page({ before: this.before ?? '' });
      this.update({ loading: false });
    } catch (err) {
      this.update({ loading: false, error: (err instanceof Error ? err.message : String(err)).replace(/^fatal: /, '') });
    }
  }

  private async page(extra: Record<string, string>): Promise<PageEndEvent> {
    const { events, end } = await fetchStreamPage(this.query({ limit: String(PAGE_REPORTS), ...extra }));
    let oldestTs = this.view.oldestTs;
    for (const event of events) {
      const ts = this.apply(event);
      if (ts !== undefined && (oldestTs === undefined || ts < oldestTs)) oldestTs = ts;
    }
    if (end.oldest_id !== null) this.before = end.oldest_id;
    this.update({ loaded: true, more: end.more, trimmedUpTo: end.trimmed_up_to, oldestTs });
    return end;
  }

  private query(extra: Record<string, string>): URLSearchParams {
    const q = new URLSearchParams({ org_id: this.tenant.org_id, project_id: this.tenant.project_id, ...extra });
    if (this.correlationId !== undefined && extra.asks === undefined) q.set('correlation_id', this.correlationId);
    return q;
  }

  private update(patch: Partial<HistoryView>): void {
    this.view = { ...this.view, ...patch };
    this.show(this.view);
  }
}
