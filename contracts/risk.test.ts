import { describe, expect, it } from 'vitest';
import { maxRisk, RiskLevel } from './index.js';

describe('maxRisk', () => {
  it('only ever raises risk', () => {
    expect(maxRisk('GREEN', 'RED')).toBe('RED');
    expect(maxRisk('RED', 'GREEN')).toBe('RED');
    expect(maxRisk(undefined, 'YELLOW')).toBe('YELLOW');
    expect(maxRisk('YELLOW', undefined, 'GREEN')).toBe('YELLOW');
    expect(maxRisk()).toBe('GREEN');
  });
  it('agrees with the schema on the set of levels', () => {
    expect(RiskLevel.options).toEqual(['GREEN', 'YELLOW', 'RED']);
  });
});
