import { describe, expect, it } from 'vitest';
import { FeedBatch, FeedEntry } from './feed-entry.js';
import { FeedSubscription, type LiveSink } from './feed-subscription.js';

const entry = (n: number) => new FeedEntry(`${n}-0`, JSON.stringify({ seq: n, correlation_id: 'c' }), undefined);
const batch = (...ns: number[]) => new FeedBatch(ns.map(entry));

/** A client socket in memory: it records the ids written and can be told its buffer is full. */
class SocketSink implements LiveSink {
  readonly written: string[] = [];
  heartbeats = 0;
  full = false;
  private resume: (() => void) | undefined;

  write(b: FeedBatch): 'written' | 'full' | 'nothing' {
    this.written.push(...b.entries.map((e) => e.id));
    return this.full ? 'full' : 'written';
  }

  heartbeat(): boolean {
    this.heartbeats += 1;
    return !this.full;
  }

  onDrain(resume: () => void): void {
    this.resume = resume;
  }

  drain(): void {
    this.full = false;
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }
}

describe('FeedSubscription', () => {
  it('queues what arrives during the replay and writes it first, in order, once live', () => {
    const sub = new FeedSubscription('0-0', 10, () => undefined);
    const sink = new SocketSink();
    sub.deliver(batch(1, 2), 0);
    sub.deliver(batch(3), 0);
    void sub.goLive(sink);
    sub.deliver(batch(4, 5), 0);
    expect(sink.written).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0']);
  });

  it('holds batches while the socket is full and writes them in order when it drains', () => {
    const sub = new FeedSubscription('0-0', 10, () => undefined);
    const sink = new SocketSink();
    void sub.goLive(sink);
    sink.full = true;
    sub.deliver(batch(1), 0);
    sub.deliver(batch(2, 3), 0);
    sub.deliver(batch(4), 0);
    expect(sink.written).toEqual(['1-0']);
    sink.drain();
    expect(sink.written).toEqual(['1-0', '2-0', '3-0', '4-0']);
    sub.deliver(batch(5), 0);
    expect(sink.written).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0']);
  });

  it('fails with overflow once a client that stopped reading would hold more than its capacity, and ends', async () => {
    const failures: string[] = [];
    const sub = new FeedSubscription('0-0', 3, () => undefined);
    sub.onFailure = (reason) => failures.push(reason);
    const sink = new SocketSink();
    const ended = sub.goLive(sink);
    sink.full = true;
    sub.deliver(batch(1), 0);
    sub.deliver(batch(2, 3, 4), 0);
    expect(sub.failure).toBeUndefined();
    sub.deliver(batch(5), 0);
    expect(sub.failure).toBe('overflow');
    sub.deliver(batch(6), 0);
    await ended;
    sink.drain();
    expect(failures).toEqual(['overflow']);
    expect(sink.written).toEqual(['1-0']);
  });

  it('sends a heartbeat only to a live client quiet for the interval, and none while its socket is full', () => {
    const sub = new FeedSubscription('0-0', 10, () => undefined);
    const sink = new SocketSink();
    sub.heartbeatIfQuiet(Date.now() + 60_000, 1_000);
    expect(sink.heartbeats).toBe(0);
    void sub.goLive(sink);
    const start = Date.now();
    sub.deliver(batch(1), start);
    sub.heartbeatIfQuiet(start + 999, 1_000);
    expect(sink.heartbeats).toBe(0);
    sub.heartbeatIfQuiet(start + 1_000, 1_000);
    expect(sink.heartbeats).toBe(1);
    sub.heartbeatIfQuiet(start + 1_500, 1_000);
    expect(sink.heartbeats).toBe(1);
    sink.full = true;
    sub.heartbeatIfQuiet(start + 2_000, 1_000);
    sub.heartbeatIfQuiet(start + 9_000, 1_000);
    expect(sink.heartbeats).toBe(2);
  });

  it('counts a batch its filter emptied as quiet time', () => {
    const sub = new FeedSubscription('0-0', 10, () => undefined);
    const heartbeats: number[] = [];
    const sink: LiveSink = { write: () => 'nothing', heartbeat: () => heartbeats.push(1) > 0, onDrain: () => undefined };
    void sub.goLive(sink);
    const start = Date.now();
    sub.deliver(batch(1), start + 900);
    sub.heartbeatIfQuiet(start + 1_000, 1_000);
    expect(heartbeats).toHaveLength(1);
  });

  it('ends its live wait when closed, and tells the feed once', async () => {
    let closes = 0;
    const sub = new FeedSubscription('0-0', 10, () => {
      closes += 1;
    });
    const ended = sub.goLive(new SocketSink());
    sub.close();
    sub.close();
    await ended;
    expect(closes).toBe(1);
  });
});
