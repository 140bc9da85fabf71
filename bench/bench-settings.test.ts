import { describe, expect, it } from 'vitest';
import { readBenchSettings } from './bench-settings.js';

describe('readBenchSettings', () => {
  it('measures concurrency 1 and 16 unless told otherwise, one level or a list', () => {
    expect(readBenchSettings({}).concurrencies).toEqual([1, 16]);
    expect(readBenchSettings({ BENCH_CONCURRENCY: '32' }).concurrencies).toEqual([32]);
    expect(readBenchSettings({ BENCH_CONCURRENCY: '1, 4,16' }).concurrencies).toEqual([1, 4, 16]);
  });

  it.each(['0', '1,,16', 'x', '4,4', '1.5'])('refuses BENCH_CONCURRENCY=%s with one line naming it', (value) => {
    expect(() => readBenchSettings({ BENCH_CONCURRENCY: value })).toThrow(/^BENCH_CONCURRENCY=.* is invalid/);
  });
});
