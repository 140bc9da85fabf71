import { describe, expect, it } from 'vitest';
import { compareStreamIds } from './stream-id.js';

/** The plain reading of the order, for checking the digit-by-digit one against. */
function byNumbers(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as || '0') - BigInt(bs || '0');
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

describe('compareStreamIds', () => {
  it('orders numerically, not as strings', () => {
    expect(compareStreamIds('999-0', '1000-0')).toBe(-1);
    expect(compareStreamIds('1000-10', '1000-9')).toBe(1);
    expect(compareStreamIds('1000-0', '1000')).toBe(0);
    expect(compareStreamIds('0-0', '1795610610627-0')).toBe(-1);
    expect(compareStreamIds('0001-02', '1-2')).toBe(0);
    expect(compareStreamIds('18446744073709551615-18446744073709551615', '18446744073709551615-18446744073709551614')).toBe(1);
  });

  it('agrees with comparing the numbers, leading zeros and missing seqs included', () => {
    // A fixed generator (Park–Miller; its products stay exact in a double): the same cases every run.
    let state = 7;
    const next = (n: number) => {
      state = (state * 48_271) % 2_147_483_647;
      return state % n;
    };
    const digits = () => '0'.repeat(next(3)) + String(next(4) === 0 ? 0 : next(1_000_000) * (next(2) ? 1 : 10_000_000));
    const id = () => (next(5) === 0 ? digits() : `${digits()}-${digits()}`);
    for (let i = 0; i < 5_000; i += 1) {
      const a = id();
      const b = next(4) === 0 ? a : next(3) === 0 ? `${a.split('-')[0] ?? ''}-${digits()}` : id();
      expect(compareStreamIds(a, b), `${a} vs ${b}`).toBe(byNumbers(a, b));
      expect(compareStreamIds(b, a), `${b} vs ${a}`).toBe(byNumbers(b, a));
    }
  });
});
