import type { Report } from '../../contracts/index.js';
import { SseParser } from '../../ui/src/sse-parser.js';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

export interface StreamOptions {
  lastEventId?: string;
  cursor?: string;
  correlationId?: string;
  /** Use query parameters for the tenant instead of headers, as a browser's EventSource must. */
  tenantInQuery?: boolean;
  /** Extra request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  /** A stream ticket, sent as `?ticket=` like a browser's EventSource. */
  ticket?: string;
}

/** A real SSE client over fetch: records every event and comment, in order, until closed. */
export class SseRecorder {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  status = 0;
  ended = false;
  private readonly abort = new AbortController();
  private readonly waiters = new Set<() => void>();
  private done: Promise<void> = Promise.resolve();

  static async open(baseUrl: string, tenant: { org_id: string; project_id: string }, options: StreamOptions = {}): Promise<SseRecorder> {
    const recorder = new SseRecorder();
    const url = new URL('/agent/reports/stream', baseUrl);
    if (options.cursor !== undefined) url.searchParams.set('cursor', options.cursor);
    if (options.correlationId !== undefined) url.searchParams.set('correlation_id', options.correlationId);
    if (options.ticket !== undefined) url.searchParams.set('ticket', options.ticket);
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
    if (options.tenantInQuery) {
      url.searchParams.set('org_id', tenant.org_id);
      url.searchParams.set('project_id', tenant.project_id);
    } else {
      headers['x-org-id'] = tenant.org_id;
      headers['x-project-id'] = tenant.project_id;
    }
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const response = await fetch(url, { headers, signal: recorder.abort.signal });
    recorder.status = response.status;
    if (response.status === 200 && response.body) recorder.done = recorder.consume(response.body);
    else recorder.ended = true;
    return recorder;
  }

  get reports(): Report[] {
    return this.events.filter((e) => e.event === 'report').map((e) => JSON.parse(e.data) as Report);
  }

  /** The `report` events only (not `gap`, `live` or `error`), with their ids. */
  get reportEvents(): SseEvent[] {
    return this.events.filter((e) => e.event === 'report');
  }

  /** Whether the server said the replay is done and the stream follows live reports. */
  get isLive(): boolean {
    return this.events.some((e) => e.event === 'live');
  }

  get lastId(): string | undefined {
    return this.events.filter((e) => e.id !== undefined).at(-1)?.id;
  }

  /** Waits until `predicate` holds for the recorded reports, or fails with what was seen. */
  async waitFor(predicate: (reports: Report[]) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<Report[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.reports)) {
      if (this.ended) throw new Error(`stream ended before ${what}; saw ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; saw ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 250));
        this.waiters.add(wake);
      });
    }
    return this.reports;
  }

  /** Resolves when the stream ends (the server closed it, or `close()`). */
  get finished(): Promise<void> {
    return this.done;
  }

  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    await Promise.race([this.done, new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end')), timeoutMs))]);
  }

  close(): void {
    this.abort.abort();
  }

  private describe(): string {
    return JSON.stringify(this.reports.map((r) => `${r.correlation_id}:${r.report_type}`));
  }

  private async consume(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const parser = new SseParser({
      message: (msg) => {
        this.events.push(msg);
        for (const wake of this.waiters) wake();
      },
      retry: (ms) => {
        this.retry = ms;
      },
      comment: (text) => this.comments.push(text),
    });
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
      for (const wake of this.waiters) wake();
    }
  }
}
