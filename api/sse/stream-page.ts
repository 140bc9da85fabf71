import type { PageEndEvent, Tenant } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import { announceGap } from './gap-check.js';
import { toFeedEntry, type FeedEntry } from './feed-entry.js';
import type { SseOut } from './sse-socket.js';

/** Entries per Redis read. */
const READ_BATCH = 500;
/**
 * A filtered page stops after reading this many entries even when it found fewer than `limit`, so every request
 * costs at most this much whatever the filter; the client goes on from where it stopped (`more`).
 */
export const PAGE_SCAN_MAX = 10_000;

export type PageRequest =
  /** The newest `limit` reports strictly before `before` (before the end of the stream when undefined). */
  | { page: 'backward'; before: string | undefined; limit: number; filter: string | undefined }
  /** The oldest `limit` reports strictly after `after`. */
  | { page: 'forward'; after: string; limit: number; filter: string | undefined }
  /** The `ask_created` reports of the asks still open, however far back they were asked. */
  | { page: 'open_asks'; limit: number };

/**
 * A bounded replay: one page of the tenant's stream, sent oldest first like every stream, then `event: end`.
 * It never goes live, so paging through 100,000 retained reports never means holding them all in one page.
 */
export class StreamPage {
  private scanned = 0;
  private oldest: string | undefined;
  private newest: string | undefined;
  private sent = 0;

  constructor(
    private readonly stream: SseOut,
    private readonly tenant: Tenant,
    private readonly request: PageRequest,
    private readonly deps: ApiDeps,
  ) {}

  /** The page's `end` event, or undefined when the client left before it was complete. */
  async run(): Promise<PageEndEvent | undefined> {
    const req = this.request;
    if (req.page === 'open_asks') return this.openAsks(req);
    const complete = req.page === 'backward' ? await this.backward(req) : await this.forward(req);
    if (!complete) return undefined;
    const { store } = this.deps;
    // Whether anything lies beyond what was read, asked after the read: a trim or an append since only adds a page.
    const farEnd = req.page === 'backward' ? await store.firstId(this.tenant) : await store.lastId(this.tenant);
    const reached = req.page === 'backward' ? this.oldest : this.newest;
    return this.end(reached !== undefined && farEnd !== null && farEnd !== '0-0' && reached !== farEnd);
  }

  private async openAsks(req: Extract<PageRequest, { page: 'open_asks' }>): Promise<PageEndEvent | undefined> {
    const { entries, more, read } = await this.deps.store.openAsks(this.tenant, req.limit, Date.now());
    this.scanned = read;
    this.oldest = entries[0]?.id;
    this.newest = entries.at(-1)?.id;
    for (const row of entries) {
      if (this.stream.aborted) return undefined;
      await this.send(toFeedEntry(row));
    }
    return this.stream.aborted ? undefined : this.end(more);
  }

  private async end(more: boolean): Promise<PageEndEvent> {
    return {
      page: this.request.page,
      count: this.sent,
      scanned: this.scanned,
      oldest_id: this.oldest ?? null,
      newest_id: this.newest ?? null,
      more,
      trimmed_up_to: await this.deps.store.trimmedUpTo(this.tenant),
    };
  }

  private async backward(req: Extract<PageRequest, { page: 'backward' }>): Promise<boolean> {
    const found: FeedEntry[] = [];
    let before = req.before;
    while (found.length < req.limit && this.scanned < PAGE_SCAN_MAX) {
      const want = this.batchSize(req.limit - found.length, req.filter);
      const rows = await this.deps.store.rangeBefore(this.tenant, before, want);
      if (this.stream.aborted) return false;
      for (const row of rows) {
        this.scanned += 1;
        this.newest ??= row.id;
        this.oldest = row.id;
        const entry = toFeedEntry(row);
        if (matches(entry, req.filter)) found.push(entry);
        if (found.length === req.limit) break;
      }
      if (rows.length < want) break;
      before = this.oldest;
    }
    for (let i = found.length - 1; i >= 0; i -= 1) {
      const entry = found[i];
      if (entry) await this.send(entry);
    }
    return !this.stream.aborted;
  }

  private async forward(req: Extract<PageRequest, { page: 'forward' }>): Promise<boolean> {
    await announceGap(this.stream, this.deps, this.tenant, req.after);
    let after = req.after;
    while (this.sent < req.limit && this.scanned < PAGE_SCAN_MAX) {
      const want = this.batchSize(req.limit - this.sent, req.filter);
      const rows = await this.deps.store.range(this.tenant, after, '+', want);
      if (this.stream.aborted) return false;
      for (const row of rows) {
        this.scanned += 1;
        this.oldest ??= row.id;
        this.newest = row.id;
        const entry = toFeedEntry(row);
        if (matches(entry, req.filter)) await this.send(entry);
        if (this.sent === req.limit) break;
      }
      if (rows.length < want || this.newest === undefined) break;
      after = this.newest;
    }
    return !this.stream.aborted;
  }

  /** Unfiltered, exactly what is still missing; filtered, a whole batch (most entries may not match). */
  private batchSize(missing: number, filter: string | undefined): number {
    return Math.min(READ_BATCH, PAGE_SCAN_MAX - this.scanned, filter === undefined ? missing : READ_BATCH);
  }

  private async send(entry: FeedEntry): Promise<void> {
    await this.stream.write(entry.frame);
    this.sent += 1;
    this.deps.metrics.sseReports.inc({ phase: 'page' });
  }
}

function matches(entry: FeedEntry, filter: string | undefined): boolean {
  return filter === undefined || entry.correlationId === filter;
}
