import { Report, type Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { Logger } from '../../infra/logger.js';
import type { ReportStore } from '../../infra/store/report-store.js';
import type { FeedBatch, FeedEntry } from '../sse/feed-entry.js';
import type { FeedSubscription, LiveSink } from '../sse/feed-subscription.js';
import type { FeedHub } from '../sse/report-feed.js';

export interface WatchDeps {
  feeds: FeedHub;
  store: ReportStore;
  logger: Logger;
}

/** The command whose reports are followed: its workflow id is unique, its correlation id narrows cheaply first. */
export interface WatchedCommand {
  workflow_id: string;
  correlation_id: string;
}

const BACKFILL_PAGE = 500;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * Follows one command's reports on its tenant's shared feed (the same XREAD loop the dashboards share), so an MCP
 * tool call learns what the dashboard learns and nothing else. Opened before the command starts, so its first
 * report is live; when the feed fails (Redis restarted), it joins again and reads what it missed from the stream,
 * by id, so no report is lost or seen twice.
 */
export class CommandWatch {
  private readonly queue: Report[] = [];
  private wake: (() => void) | undefined;
  private sub: FeedSubscription | undefined;
  /** The last tenant entry looked at: where a backfill after a failed feed starts. */
  private lastId = '0-0';
  private closed = false;

  private constructor(
    private readonly deps: WatchDeps,
    private readonly tenant: Tenant,
    private readonly command: WatchedCommand,
  ) {}

  static async open(deps: WatchDeps, tenant: Tenant, command: WatchedCommand): Promise<CommandWatch> {
    const watch = new CommandWatch(deps, tenant, command);
    await watch.attach(false);
    return watch;
  }

  /** The next report of the command; `idle` when none came within `idleMs`; undefined once aborted or closed. */
  async next(signal: AbortSignal, idleMs: number): Promise<Report | 'idle' | undefined> {
    const first = this.queue.shift();
    if (first) return first;
    if (signal.aborted || this.closed) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, idleMs);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
    if (signal.aborted || this.closed) return undefined;
    return this.queue.shift() ?? 'idle';
  }

  close(): void {
    this.closed = true;
    this.sub?.close();
    this.wake?.();
  }

  private async attach(backfill: boolean): Promise<void> {
    const sub = await this.deps.feeds.subscribe(this.tenant);
    if (this.closed) {
      sub.close();
      return;
    }
    this.sub = sub;
    if (!backfill) this.lastId = sub.joinedAt;
    else {
      // What the failed feed never handed over lies between the last entry seen and where the new one joined.
      try {
        for (;;) {
          const page = await this.deps.store.range(this.tenant, this.lastId, sub.joinedAt, BACKFILL_PAGE);
          this.take(page.map((row) => ({ id: row.id, data: row.data })));
          if (page.length < BACKFILL_PAGE) break;
        }
      } catch (err) {
        sub.close();
        throw err;
      }
    }
    const sink: LiveSink = {
      write: (batch: FeedBatch) => {
        this.take(batch.entries);
        return 'nothing';
      },
      heartbeat: () => true,
      onDrain: () => undefined,
    };
    void sub.goLive(sink).then(() => this.ended(sub));
  }

  /** Keeps the command's own reports, in stream order, each once. */
  private take(entries: ReadonlyArray<Pick<FeedEntry, 'id' | 'data'> & { correlationId?: string | undefined }>): void {
    let added = false;
    for (const entry of entries) {
      if (compareStreamIds(entry.id, this.lastId) <= 0) continue;
      this.lastId = entry.id;
      if (entry.correlationId !== undefined && entry.correlationId !== this.command.correlation_id) continue;
      const report = parseReport(entry.data);
      if (report?.workflow_id !== this.command.workflow_id) continue;
      this.queue.push(report);
      added = true;
    }
    if (added) this.wake?.();
  }

  /** The feed let go of this watch: on a failure, join again (with backoff while Redis is away) and catch up. */
  private async ended(sub: FeedSubscription): Promise<void> {
    if (this.closed || this.sub !== sub || sub.failure === undefined) return;
    // Off the feed for good: a subscription that overflowed is still on its (running) feed until closed.
    sub.close();
    let delay = RETRY_FIRST_MS;
    while (!this.closed) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.closed) return;
      try {
        await this.attach(true);
        return;
      } catch (err) {
        this.deps.logger.warn({ correlation_id: this.command.correlation_id, err: (err as Error).message }, 'mcp: report feed unavailable, retrying');
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }
}

function parseReport(data: string): Report | undefined {
  try {
    const parsed = Report.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
