import { describe, expect, it } from 'vitest';
import { parseRole, RoleError } from './roles.js';

describe('parseRole', () => {
  it('defaults to all and reads both spellings', () => {
    expect(parseRole([])).toBe('all');
    expect(parseRole(['--role', 'api'])).toBe('api');
    expect(parseRole(['--role=bridge'])).toBe('bridge');
  });
  it('refuses anything else', () => {
    expect(() => parseRole(['--role', 'db'])).toThrow(RoleError);
    expect(() => parseRole(['--role'])).toThrow(RoleError);
  });
});
