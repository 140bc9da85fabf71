import { describe, expect, it } from 'vitest';
import { parseLaunch, parseRole, RoleError } from './roles.js';

describe('parseLaunch', () => {
  it('supervises every role in processes of their own when no role is named', () => {
    expect(parseLaunch([])).toEqual({ kind: 'supervisor' });
    expect(parseLaunch(['--role', 'all'])).toEqual({ kind: 'role', role: 'all', supervised: false });
    expect(parseLaunch(['--role=worker', '--supervised'])).toEqual({ kind: 'role', role: 'worker', supervised: true });
  });
  it('refuses --supervised without a role', () => {
    expect(() => parseLaunch(['--supervised'])).toThrow(RoleError);
  });
});

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
