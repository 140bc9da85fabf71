import { describe, expect, it } from 'vitest';
import { BACKOFF_CAP_MS, reconnectDelay } from './backoff.js';

describe('reconnectDelay', () => {
  it('doubles from the server hint, stays within [half, full] of the step, and is capped', () => {
    expect(reconnectDelay(1, 500, () => 0)).toBe(250);
    expect(reconnectDelay(1, 500, () => 1)).toBe(500);
    expect(reconnectDelay(3, 500, () => 0)).toBe(1000);
    expect(reconnectDelay(3, 500, () => 1)).toBe(2000);
    expect(reconnectDelay(30, 500, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(reconnectDelay(30, 500, () => 0)).toBe(BACKOFF_CAP_MS / 2);
  });

  it('spreads clients out (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => reconnectDelay(4, 500)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
