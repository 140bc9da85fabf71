import type { Tenant } from '../contracts/index.js';
import { SseParser, type SseMessage } from '../ui/src/sse-parser.js';

/** Wall-clock milliseconds with sub-millisecond precision, comparable with a report's ISO `ts`. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * The moments a command's reports passed, all wall-clock ms: `ts` is stamped by the workflow, the Redis stream id
 * starts with the ms Redis appended the entry at, and `seenAt` is when this client parsed it.
 */
export interface CommandTrace {
  acceptedTs: number | undefined;
  acceptedSeenAt: number | undefined;
  completedTs: number;
  completedStoredAt: number;
  completedSeenAt: number;
}

interface Waiter {
  acceptedTs: number | undefined;
  acceptedSeenAt: number | undefined;
  resolve(trace: CommandTrace): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface ReportHead {
  correlation_id?: string;
  report_type?: string;
  ts?: string;
  payload?: { error?: { code?: string; message?: string } };
}

/**
 * One long-lived SSE connection for a tenant, as a dashboard holds it, resolving one waiter per correlation_id
 * when its `task_completed` arrives. Waiters are registered before the command is posted, so no report can
 * slip past; the stream replays from the start of the (fresh, per-run) tenant stream anyway.
 */
export class SseWaiter {
  private readonly waiters = new Map<string, Waiter>();
  private readonly abort = new AbortController();
  private ended = false;
  private liveReached: () => void = () => undefined;
  private liveMissed: (err: Error) => void = () => undefined;
  /** Resolves at the stream's `live` event (history replayed); rejects if the stream ends first. */
  readonly live: Promise<void>;
  /** The id of the last report streamed so far ('0-0' before the first): the fan-out case resumes clients after it. */
  lastReportId = '0-0';
  /** Reports streamed so far; the difference over a span is how many reports that span appended. */
  reportCount = 0;

  private constructor() {
    this.live = new Promise((resolve, reject) => {
      this.liveReached = resolve;
      this.liveMissed = reject;
    });
    // Only the fan-out case awaits it; a stream ending unawaited must not count as an unhandled rejection.
    this.live.catch(() => undefined);
  }

  static async open(baseUrl: string, tenant: Tenant): Promise<SseWaiter> {
    const waiter = new SseWaiter();
    const response = await fetch(new URL('/agent/reports/stream', baseUrl), {
      headers: { accept: 'text/event-stream', 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id },
      signal: waiter.abort.signal,
    });
    if (response.status !== 200 || !response.body) throw new Error(`SSE stream answered ${response.status}`);
    void waiter.consume(response.body);
    return waiter;
  }

  /** Resolves when `task_completed` for this correlation id is streamed; rejects on `task_failed` or timeout. */
  expect(correlationId: string, timeoutMs: number): Promise<CommandTrace> {
    if (this.ended) return Promise.reject(new Error('SSE stream already ended'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(correlationId);
        reject(new Error(`no task_completed for ${correlationId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(correlationId, { acceptedTs: undefined, acceptedSeenAt: undefined, resolve, reject, timer });
    });
  }

  close(): void {
    this.abort.abort();
  }

  private async consume(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const parser = new SseParser({ message: (msg) => this.onMessage(msg, nowMs()), retry: () => undefined });
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted by close(), or the server went away: either way the waiters below learn of it
    } finally {
      this.ended = true;
      this.liveMissed(new Error('SSE stream ended before its live event'));
      for (const [id, w] of this.waiters) this.settle(id, w, () => w.reject(new Error(`SSE stream ended before ${id} completed`)));
    }
  }

  private onMessage({ event, id = '', data }: SseMessage, receivedAt: number): void {
    if (event === 'live') this.liveReached();
    if (event !== 'report' || data.length === 0) return;
    this.lastReportId = id;
    this.reportCount++;
    const report = JSON.parse(data) as ReportHead;
    const waiter = report.correlation_id === undefined ? undefined : this.waiters.get(report.correlation_id);
    if (!waiter || report.correlation_id === undefined) return;
    const correlationId = report.correlation_id;
    switch (report.report_type) {
      case 'command_accepted':
        waiter.acceptedTs = Date.parse(report.ts ?? '');
        waiter.acceptedSeenAt = receivedAt;
        break;
      case 'task_completed':
        this.settle(correlationId, waiter, () =>
          waiter.resolve({
            acceptedTs: waiter.acceptedTs,
            acceptedSeenAt: waiter.acceptedSeenAt,
            completedTs: Date.parse(report.ts ?? ''),
            completedStoredAt: Number(id.split('-')[0]),
            completedSeenAt: receivedAt,
          }),
        );
        break;
      case 'task_failed':
      case 'task_cancelled':
        this.settle(correlationId, waiter, () =>
          waiter.reject(new Error(`${correlationId}: ${report.report_type} ${JSON.stringify(report.payload?.error ?? {})}`)),
        );
        break;
      default:
    }
  }

  private settle(id: string, waiter: Waiter, fn: () => void): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(id);
    fn();
  }
}
