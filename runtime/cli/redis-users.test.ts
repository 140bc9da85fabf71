import { describe, expect, it } from 'vitest';
import { redisUsers } from './redis-users.js';

const passwords = { REDIS_API_PASSWORD: 'api-password-long', REDIS_WORKER_PASSWORD: 'worker-password-long', REDIS_BRIDGE_PASSWORD: 'bridge-password-long' };

describe('npm run redis:users', () => {
  it('defines one ACL user per role, its keys under this install\'s prefix, no admin command', () => {
    const users = redisUsers({ ...passwords, NEXUS_REDIS_PREFIX: 'acme.prod:' });
    expect(users.map((u) => u.name).sort()).toEqual(['nexus-api', 'nexus-bridge', 'nexus-worker']);
    for (const user of users) {
      expect(user.rules).toEqual(expect.arrayContaining(['resetkeys', 'resetchannels', '-@admin', '-@dangerous']));
      expect(user.rules.filter((r) => r.includes('~')).every((r) => r.includes('~acme.prod:'))).toBe(true);
    }
    expect(users.find((u) => u.name === 'nexus-worker')?.rules.some((r) => r.includes('approval-use'))).toBe(true);
    expect(users.find((u) => u.name === 'nexus-api')?.rules.some((r) => r.includes('approval-use'))).toBe(false);
    // Approval links are the API's (made on request, used) and the worker's (sent to approvers), never the bridge's.
    expect(users.filter((u) => u.rules.some((r) => r.includes('{link:'))).map((u) => u.name).sort()).toEqual(['nexus-api', 'nexus-worker']);
  });

  it('refuses a short password, naming the variable', () => {
    expect(() => redisUsers({ ...passwords, REDIS_WORKER_PASSWORD: 'short' })).toThrow(/REDIS_WORKER_PASSWORD: must be at least 12 characters/);
  });
});
