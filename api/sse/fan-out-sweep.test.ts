import { describe, expect, it } from 'vitest';
import { FanOutSweep, type SweepRecipient } from './fan-out-sweep.js';
import { FeedBatch, FeedEntry } from './feed-entry.js';

const batch = (...ns: number[]) => new FeedBatch(ns.map((n) => new FeedEntry(`${n}-0`, JSON.stringify({ seq: n }), undefined)));

/** A client that records what it was handed, one array per delivery. */
class Recorder implements SweepRecipient {
  readonly deliveries: string[][] = [];
  onDeliver: (() => void) | undefined;

  deliver(b: FeedBatch): void {
    this.deliveries.push(b.entries.map((e) => e.id));
    this.onDeliver?.();
  }

  get ids(): string[] {
    return this.deliveries.flat();
  }
}

/** A sweep that pauses after every recipient and goes on only when the test says so. */
function steppedSweep() {
  const paused: Array<() => void> = [];
  const sweep = new FanOutSweep<Recorder>({ sliceMs: 0, checkEvery: 1, pause: () => new Promise((resolve) => paused.push(resolve)) });
  return {
    sweep,
    paused,
    /** Lets the paused pass go on to its next pause (or its end). */
    async step(): Promise<void> {
      const resume = paused.shift();
      if (!resume) throw new Error('no pass is paused');
      resume();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('FanOutSweep', () => {
  it('hands a batch read mid-pass to the clients not yet met with what they were due, and to the others next pass', async () => {
    const { sweep, paused, step } = steppedSweep();
    const clients = [new Recorder(), new Recorder(), new Recorder()];
    for (const c of clients) sweep.add(c);
    const done: string[] = [];
    sweep.append(batch(1), () => done.push('1'));
    // The pass met the first client and paused.
    expect(clients.map((c) => c.ids)).toEqual([['1-0'], [], []]);
    sweep.append(batch(2, 3), () => done.push('2'));
    await step();
    await step();
    await step();
    // The second and third got both batches in one delivery; the first gets the new one in the next pass.
    expect(clients[1]?.deliveries).toEqual([['1-0', '2-0', '3-0']]);
    expect(clients[2]?.deliveries).toEqual([['1-0', '2-0', '3-0']]);
    expect(done).toEqual(['1']);
    expect(sweep.pending).toBe(2);
    while (paused.length > 0) await step();
    expect(clients[0]?.deliveries).toEqual([['1-0'], ['2-0', '3-0']]);
    expect(clients[1]?.deliveries).toHaveLength(1);
    expect(done).toEqual(['1', '2']);
    expect(sweep.pending).toBe(0);
  });

  it('shares one merged batch among the clients due the same entries', async () => {
    const { sweep, paused, step } = steppedSweep();
    const handed: FeedBatch[] = [];
    const clients = [0, 1, 2, 3].map(() => {
      const c = new Recorder();
      const deliver = c.deliver.bind(c);
      c.deliver = (b) => {
        handed.push(b);
        deliver(b);
      };
      return c;
    });
    for (const c of clients) sweep.add(c);
    sweep.append(batch(1), () => undefined);
    sweep.append(batch(2), () => undefined);
    while (paused.length > 0) await step();
    expect(clients.map((c) => c.ids)).toEqual(clients.map(() => ['1-0', '2-0']));
    expect(new Set(handed.slice(1, 4)).size).toBe(1);
  });

  it('hands a client that joins mid-pass only what is read after it joined, and none to one that left', async () => {
    const { sweep, paused, step } = steppedSweep();
    const [first, leaving, late] = [new Recorder(), new Recorder(), new Recorder()];
    sweep.add(first);
    sweep.add(leaving);
    sweep.append(batch(1), () => undefined);
    sweep.add(late);
    sweep.delete(leaving);
    sweep.append(batch(2), () => undefined);
    while (paused.length > 0) await step();
    expect(first.ids).toEqual(['1-0', '2-0']);
    expect(leaving.ids).toEqual([]);
    expect(late.ids).toEqual(['2-0']);
  });

  it('keeps a reader waiting for room until a pass has handed out what is pending', async () => {
    const { sweep, paused, step } = steppedSweep();
    sweep.add(new Recorder());
    sweep.add(new Recorder());
    sweep.append(batch(1, 2, 3), () => undefined);
    let roomy = false;
    void sweep.roomFor(3).then(() => {
      roomy = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(roomy).toBe(false);
    while (paused.length > 0) await step();
    expect(roomy).toBe(true);
    await expect(sweep.roomFor(1)).resolves.toBeUndefined();
  });

  it('stops a paused pass when cleared, and ends what it held', async () => {
    const { sweep, paused, step } = steppedSweep();
    const [a, b] = [new Recorder(), new Recorder()];
    sweep.add(a);
    sweep.add(b);
    const done: string[] = [];
    sweep.append(batch(1), () => done.push('1'));
    sweep.clear();
    expect(done).toEqual(['1']);
    await step();
    expect(b.ids).toEqual([]);
    expect(paused).toHaveLength(0);
    // A cleared sweep starts afresh for the feed's next clients.
    sweep.add(b);
    sweep.append(batch(2), () => done.push('2'));
    while (paused.length > 0) await step();
    expect(b.ids).toEqual(['2-0']);
    expect(done).toEqual(['1', '2']);
  });

  it('delivers at once, within the append, when the clients fit in one slice', () => {
    const sweep = new FanOutSweep<Recorder>();
    const clients = [new Recorder(), new Recorder()];
    for (const c of clients) sweep.add(c);
    sweep.append(batch(1), () => undefined);
    expect(clients.map((c) => c.ids)).toEqual([['1-0'], ['1-0']]);
    expect(sweep.pending).toBe(0);
  });

  it('lets a client leave while it is being handed a batch (an overflow closes it)', async () => {
    const { sweep, paused, step } = steppedSweep();
    const [a, b, c] = [new Recorder(), new Recorder(), new Recorder()];
    for (const r of [a, b, c]) sweep.add(r);
    b.onDeliver = () => sweep.delete(b);
    sweep.append(batch(1), () => undefined);
    sweep.append(batch(2), () => undefined);
    while (paused.length > 0) await step();
    sweep.append(batch(3), () => undefined);
    while (paused.length > 0) await step();
    expect(a.ids).toEqual(['1-0', '2-0', '3-0']);
    expect(b.deliveries).toEqual([['1-0', '2-0']]);
    expect(c.ids).toEqual(['1-0', '2-0', '3-0']);
    expect(sweep.size).toBe(2);
  });
});
