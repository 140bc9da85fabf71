import { FeedBatch, type FeedEntry } from './feed-entry.js';

/** Where a live subscription writes: the client's session, which picks its entries and writes their frames. */
export interface LiveSink {
  /** Writes what the client wants of `batch` now: `full` when its socket is full (wait for `onDrain`). */
  write(batch: FeedBatch): 'written' | 'full' | 'nothing';
  /** Writes a heartbeat comment now; false when the socket is full. */
  heartbeat(): boolean;
  onDrain(resume: () => void): void;
}

export type FeedFailure = 'overflow' | 'backend';

/**
 * One SSE client's place in its tenant's feed. While the client replays history, live entries wait in a bounded
 * queue; once it is live, the feed writes each batch straight to its socket, and only a client whose socket is full
 * queues again. A client that lets the queue reach `capacity` has stopped reading: it fails with `overflow` (its
 * socket is cut; it resumes from its last id), so a slow client only ever hurts itself.
 */
export class FeedSubscription {
  private readonly queue: FeedEntry[] = [];
  private sink: LiveSink | undefined;
  private blocked = false;
  /** When the client was last written to (ms), for the heartbeat of a quiet stream. */
  private lastWrite = 0;
  private ended: (() => void) | undefined;
  /** Set when the client fell too far behind or the feed failed; the client then closes with a retry hint. */
  failure: FeedFailure | undefined;
  closed = false;
  /** Called once when the subscription fails, so a client blocked in a write (not reading) can be cut off. */
  onFailure: ((reason: FeedFailure) => void) | undefined;

  constructor(
    /** Entries with ids greater than this arrive live; everything up to it must come from history. */
    readonly joinedAt: string,
    private readonly capacity: number,
    private readonly onClose: (sub: FeedSubscription) => void,
  ) {}

  /** Called by the feed for every batch it reads, in order; `now` is when (ms), read once for all clients. */
  deliver(batch: FeedBatch, now: number): void {
    if (this.closed || this.failure) return;
    if (this.sink && !this.blocked && this.queue.length === 0) {
      this.writeTo(this.sink, batch, now);
      return;
    }
    if (this.queue.length + batch.entries.length > this.capacity) {
      this.fail('overflow');
      return;
    }
    this.queue.push(...batch.entries);
  }

  /**
   * From now on entries go to `sink`: first what queued during the replay, then each batch as it is read. Resolves
   * when the subscription closes or fails.
   */
  goLive(sink: LiveSink): Promise<void> {
    this.lastWrite = Date.now();
    const ended = new Promise<void>((resolve) => {
      this.ended = resolve;
    });
    if (this.closed || this.failure) this.finish();
    else {
      this.sink = sink;
      this.flush();
    }
    return ended;
  }

  /** A heartbeat for a live client that was written nothing for `quietMs` (the feed calls it on a timer). */
  heartbeatIfQuiet(now: number, quietMs: number): void {
    const sink = this.sink;
    if (!sink || this.blocked || this.closed || this.failure || now - this.lastWrite < quietMs) return;
    this.lastWrite = now;
    if (!sink.heartbeat()) this.block(sink);
  }

  fail(reason: FeedFailure): void {
    const first = this.failure === undefined;
    this.failure ??= reason;
    this.queue.length = 0;
    if (first) this.onFailure?.(reason);
    this.finish();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
    this.finish();
  }

  private writeTo(sink: LiveSink, batch: FeedBatch, now: number): void {
    // A batch the client's filter left empty wrote nothing: the stream is still quiet.
    const written = sink.write(batch);
    if (written !== 'nothing') this.lastWrite = now;
    if (written === 'full') this.block(sink);
  }

  private block(sink: LiveSink): void {
    this.blocked = true;
    sink.onDrain(() => this.flush());
  }

  private flush(): void {
    this.blocked = false;
    const sink = this.sink;
    if (!sink || this.closed || this.failure || this.queue.length === 0) return;
    this.writeTo(sink, new FeedBatch(this.queue.splice(0)), Date.now());
  }

  private finish(): void {
    this.ended?.();
    this.ended = undefined;
  }
}
