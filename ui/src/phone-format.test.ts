import { describe, expect, it } from 'vitest';
import { formatPhone, maskPhone } from './phone-format.js';

describe('phone numbers on screen', () => {
  it('masks the middle of a number and writes it as people do', () => {
    expect(maskPhone('01012345678')).toBe('010-****-5678');
    expect(maskPhone('0161234567')).toBe('016-***-4567');
    expect(maskPhone('+82 10 1234')).toBe('+** ** 1234');
    expect(formatPhone('01012345678')).toBe('010-1234-5678');
    expect(formatPhone('unknown')).toBe('unknown');
  });
});
