import { describe, expect, it } from 'vitest';
import { OutageNotice } from './outage-notice.js';

describe('OutageNotice', () => {
  it('warns once per interval however many reports fail, and counts each failing report once', () => {
    let now = 1_000;
    const notice = new OutageNotice(5_000, () => now);
    expect(notice.failed('a')).toBe(true);
    expect(notice.failed('b')).toBe(false);
    expect(notice.failed('a')).toBe(false);
    expect(notice.count).toBe(2);
    now += 4_999;
    expect(notice.failed('c')).toBe(false);
    now += 1;
    expect(notice.failed('b')).toBe(true);
    notice.stored('a');
    notice.stored('b');
    expect(notice.count).toBe(1);
  });
});
