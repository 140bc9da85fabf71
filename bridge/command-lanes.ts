/**
 * Runs tasks one after another per key (a command) and side by side across keys. The bridge stores each message
 * as soon as it arrives, so appends go to Redis back to back (one connection, executed in the order sent) instead
 * of one round trip each; only a command's own reports wait for each other, so a report retried through a Redis
 * fault is never overtaken by a later report of its command.
 */
export class CommandLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private waiters: Array<() => void> = [];

  /** Queues `task` behind the tasks already given for `key`; `task` must not reject (it handles its errors). */
  run(key: string, task: () => Promise<void>): void {
    this.pending += 1;
    const tail = (this.tails.get(key) ?? Promise.resolve()).then(task).finally(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
      this.pending -= 1;
      if (this.pending === 0) for (const resolve of this.waiters.splice(0)) resolve();
    });
    this.tails.set(key, tail);
  }

  /** Resolves once every task given so far (and any given meanwhile) has finished. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Commands with work in progress. */
  get size(): number {
    return this.tails.size;
  }
}
