import { describe, expect, it } from 'vitest';
import { CommandLanes } from './command-lanes.js';

/** A task that finishes when told to, recording when it started and ended. */
function gate(log: string[], name: string) {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    open,
    task: async () => {
      log.push(`start ${name}`);
      await opened;
      log.push(`end ${name}`);
    },
  };
}

describe('CommandLanes', () => {
  it('runs one key\'s tasks in order, one at a time, and other keys\' alongside', async () => {
    const lanes = new CommandLanes();
    const log: string[] = [];
    const a1 = gate(log, 'a1');
    const a2 = gate(log, 'a2');
    const b1 = gate(log, 'b1');
    lanes.run('a', a1.task);
    lanes.run('a', a2.task);
    lanes.run('b', b1.task);
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['start a1', 'start b1']);
    b1.open();
    a2.open();
    await new Promise((resolve) => setImmediate(resolve));
    // a2 was free to finish, but it had not started: a1 still held its command's lane.
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    a1.open();
    await lanes.idle();
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
    expect(lanes.size).toBe(0);
  });

  it('is idle only once every task, including those given while it waited, has finished', async () => {
    const lanes = new CommandLanes();
    const log: string[] = [];
    const first = gate(log, 'first');
    lanes.run('a', first.task);
    let idle = false;
    const waiting = lanes.idle().then(() => {
      idle = true;
    });
    const second = gate(log, 'second');
    lanes.run('b', second.task);
    first.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    second.open();
    await waiting;
    expect(log).toEqual(['start first', 'start second', 'end first', 'end second']);
  });
});
