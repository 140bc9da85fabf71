import { describe, expect, it } from 'vitest';
import { checkKoreanMobile } from './phone.js';

describe('checkKoreanMobile', () => {
  it.each([
    ['010-1234-5678', '01012345678'],
    ['010 1234 5678', '01012345678'],
    ['01012345678', '01012345678'],
    ['010.1234.5678', '01012345678'],
    ['(010) 1234-5678', '01012345678'],
    ['+82 10-1234-5678', '01012345678'],
    ['+821012345678', '01012345678'],
    ['1012345678', '01012345678'],
    ['011-123-4567', '0111234567'],
    ['016-1234-5678', '01612345678'],
  ])('accepts %s as %s', (raw, phone) => {
    expect(checkKoreanMobile(raw)).toEqual({ ok: true, phone });
  });

  it.each([
    '', '   ', '02-123-4567', '031-123-4567', '010-123-4567', '010-1234-56789', '012-1234-5678', '1588-1234',
    'abc', '010-1234-567a', '070-1234-5678',
  ])('refuses %j with a reason', (raw) => {
    const result = checkKoreanMobile(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBeTruthy();
  });
});
