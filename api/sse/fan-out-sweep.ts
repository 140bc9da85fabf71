import { performance } from 'node:perf_hooks';
import { FeedBatch } from './feed-entry.js';

/** What the sweep hands batches to: a client's subscription. */
export interface SweepRecipient {
  deliver(batch: FeedBatch, now: number): void;
}

export interface SweepOptions {
  /** How long the sweep writes before it lets the event loop run (a read, a request, a drain). */
  sliceMs: number;
  /** Recipients between two looks at the clock. */
  checkEvery: number;
  /** Lets the event loop run; resolves when the sweep may go on. */
  pause: () => Promise<void>;
}

interface Logged {
  /** The number of this batch in read order, from 1. */
  readonly seq: number;
  readonly batch: FeedBatch;
  /** Called once every recipient was handed the batch (or the sweep was cleared). */
  readonly done: () => void;
}

export const SWEEP_DEFAULTS: SweepOptions = {
  sliceMs: 4,
  checkEvery: 32,
  pause: () => new Promise((resolve) => setImmediate(resolve)),
};

/**
 * Hands a tenant's batches to its clients in passes over all of them, a slice at a time, letting the event loop
 * run between slices. Each client is handed everything it has not had yet, as one batch: a report read while a pass
 * is under way reaches the clients the pass has not come to in that same pass (merged with what they were due), and
 * the ones it already passed in the next. So no report waits for a whole pass to end before its own pass begins: at
 * 10,000 clients a pass is the time of 10,000 socket writes, and a report is late by at most about one pass, where
 * a pass per read made it wait up to two.
 */
export class FanOutSweep<R extends SweepRecipient> {
  /** Each recipient and the seq of the last batch it was handed. */
  private readonly recipients = new Map<R, number>();
  private readonly log: Logged[] = [];
  private head = 0;
  /** Entries in the log, not yet handed to every recipient. */
  private entries = 0;
  /** For the current head: from a recipient's seq, the one batch of everything after it. */
  private readonly merged = new Map<number, FeedBatch>();
  private sweeping = false;
  /** Bumped by `clear`, so a pass paused across it stops. */
  private generation = 0;
  private roomWaiters: Array<() => void> = [];

  constructor(private readonly options: SweepOptions = SWEEP_DEFAULTS) {}

  /** A new recipient is handed the batches appended from now on; what came before is its history to read. */
  add(recipient: R): void {
    this.recipients.set(recipient, this.head);
  }

  delete(recipient: R): void {
    this.recipients.delete(recipient);
  }

  get size(): number {
    return this.recipients.size;
  }

  /** The recipients, for what goes to each alike (a heartbeat, a failure); safe to delete from while iterating. */
  all(): IterableIterator<R> {
    return this.recipients.keys();
  }

  /** Entries read but not yet handed to every recipient. */
  get pending(): number {
    return this.entries;
  }

  /** Resolves once fewer than `limit` entries are pending (or the sweep was cleared). */
  roomFor(limit: number): Promise<void> {
    if (this.entries < limit) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.entries < limit) resolve();
        else this.roomWaiters.push(check);
      };
      this.roomWaiters.push(check);
    });
  }

  append(batch: FeedBatch, done: () => void): void {
    if (batch.entries.length === 0) {
      done();
      return;
    }
    this.head += 1;
    this.log.push({ seq: this.head, batch, done });
    this.entries += batch.entries.length;
    this.merged.clear();
    if (!this.sweeping) void this.sweep(this.generation);
  }

  /** Forgets every recipient and batch (the feed stopped); a pass under way stops at its next slice. */
  clear(): void {
    this.generation += 1;
    this.sweeping = false;
    this.recipients.clear();
    this.retire(this.head);
  }

  private async sweep(generation: number): Promise<void> {
    this.sweeping = true;
    try {
      await this.passes(generation);
    } finally {
      // Not left marked busy by a pass that threw: a later append still starts one.
      if (generation === this.generation) this.sweeping = false;
    }
  }

  private async passes(generation: number): Promise<void> {
    const { sliceMs, checkEvery, pause } = this.options;
    while (generation === this.generation && this.log.length > 0) {
      const passHead = this.head;
      let sliceStart = performance.now();
      let now = Date.now();
      let count = 0;
      // A Map iterates live: a recipient added during the pass holds the head and is skipped, a deleted one is not met.
      for (const [recipient, seq] of this.recipients) {
        if (seq < this.head) {
          const batch = this.since(seq);
          this.recipients.set(recipient, this.head);
          recipient.deliver(batch, now);
        }
        if (++count % checkEvery === 0 && performance.now() - sliceStart >= sliceMs) {
          await pause();
          if (generation !== this.generation) return;
          sliceStart = performance.now();
          now = Date.now();
        }
      }
      if (generation !== this.generation) return;
      // Every recipient now holds at least what was there when the pass began: those it met were handed the head of
      // that moment or later, those added since joined at a later head.
      this.retire(passHead);
    }
  }

  /** Everything after `seq` up to the head, as one batch shared by every recipient at `seq`. */
  private since(seq: number): FeedBatch {
    const cached = this.merged.get(seq);
    if (cached) return cached;
    const due = this.log.filter((l) => l.seq > seq);
    const batch = due.length === 1 && due[0] ? due[0].batch : new FeedBatch(due.flatMap((l) => l.batch.entries));
    this.merged.set(seq, batch);
    return batch;
  }

  private retire(upTo: number): void {
    while (this.log.length > 0 && (this.log[0]?.seq ?? Infinity) <= upTo) {
      const logged = this.log.shift();
      if (!logged) break;
      this.entries -= logged.batch.entries.length;
      logged.done();
    }
    this.merged.clear();
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
