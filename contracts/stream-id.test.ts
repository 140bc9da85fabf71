import { describe, expect, it } from 'vitest';
import { compareStreamIds } from './stream-id.js';

describe('compareStreamIds', () => {
  it('orders numerically, not as strings', () => {
    expect(compareStreamIds('999-0', '1000-0')).toBe(-1);
    expect(compareStreamIds('1000-10', '1000-9')).toBe(1);
    expect(compareStreamIds('1000-0', '1000')).toBe(0);
    expect(compareStreamIds('0-0', '1795610610627-0')).toBe(-1);
  });
});
