import { describe, expect, it } from 'vitest';
import { SseClientLimiter } from '../sse/client-limiter.js';
import { permits, type Principal } from './principal.js';

const token: Principal = { id: 'tok_1', kind: 'token', org_id: 'acme', projects: ['web'], roles: ['viewer'] };

describe('permits', () => {
  it('needs the org, the project and the role', () => {
    expect(permits(token, 'viewer', { org_id: 'acme', project_id: 'web' })).toBeUndefined();
    expect(permits(token, 'viewer', { org_id: 'globex', project_id: 'web' })).toMatch(/organisation/);
    expect(permits(token, 'viewer', { org_id: 'acme', project_id: 'app' })).toMatch(/project/);
    expect(permits(token, 'approver', { org_id: 'acme', project_id: 'web' })).toMatch(/approver/);
    expect(permits({ ...token, projects: '*' }, 'viewer', { org_id: 'acme', project_id: 'any' })).toBeUndefined();
  });
});

describe('SseClientLimiter', () => {
  it('holds at most max per key, and a release frees exactly one slot once', () => {
    const limiter = new SseClientLimiter(2);
    const a = limiter.acquire('k');
    expect(limiter.acquire('k')).toBeDefined();
    expect(limiter.acquire('k')).toBeUndefined();
    expect(limiter.acquire('other')).toBeDefined();
    a?.();
    a?.();
    expect(limiter.acquire('k')).toBeDefined();
    expect(limiter.acquire('k')).toBeUndefined();
  });
});
