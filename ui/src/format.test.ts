import { describe, expect, it } from 'vitest';
import { en } from './i18n/en.js';
import { ko } from './i18n/ko.js';
import { formatBytes, formatCountdown, formatDuration } from './format.js';

describe('durations and countdowns in the reader\'s language', () => {
  it('writes durations with the units of each language', () => {
    expect([850, 4_200, 185_000, 7_800_000, 97_200_000].map((ms) => formatDuration(ms, en.time.unit))).toEqual(['850 ms', '4.2 s', '3 m 05 s', '2 h 10 m', '1 d 3 h']);
    expect([850, 4_200, 185_000, 7_800_000, 97_200_000].map((ms) => formatDuration(ms, ko.time.unit))).toEqual(['850ms', '4.2초', '3분 05초', '2시간 10분', '1일 3시간']);
  });

  it('counts an ask down the same way', () => {
    expect(formatCountdown(86_399_000, en.time.short)).toBe('23h 59m 59s');
    expect(formatCountdown(86_399_000, ko.time.short)).toBe('23시간 59분 59초');
    expect(formatCountdown(65_000, ko.time.short)).toBe('1분 05초');
    expect(formatCountdown(3 * 86_400_000, ko.time.short)).toBe('3일 0시간 00분');
  });

  it('writes file sizes as a file manager does', () => {
    expect([830, 1024, 14_540, 1_048_576, 9_961_472].map((n) => formatBytes(n, en.time.bytes))).toEqual(['830 B', '1.0 KB', '14.2 KB', '1.0 MB', '9.5 MB']);
  });
});
