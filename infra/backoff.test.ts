import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from './backoff.js';

describe('sleep', () => {
  it('leaves no listener on a signal that outlives it', async () => {
    const stopping = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, stopping.signal);
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });

  it('wakes at once when the signal aborts, or was aborted already', async () => {
    const stopping = new AbortController();
    const started = Date.now();
    const sleeping = sleep(60_000, stopping.signal);
    stopping.abort();
    await sleeping;
    await sleep(60_000, stopping.signal);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });
});
