import { describe, expect, it } from 'vitest';
import { RiskPolicy, StandingApprovalRequest, type StandingGrant } from '../../contracts/index.js';
import { standingPolicy, standingStatus } from '../../contracts/standing-rules.js';
import { actionDigest } from '../action-digest.js';
import { standingCovers, standingRefusal } from './standing-rules.js';

const tenant = { org_id: 'acme', project_id: 'school' };
const now = new Date('2026-12-07T12:00:00.000Z');
const action = { agent: 'external_share', params: { url: 'https://portal.example/in', payload: { kind: 'grades', rows: 3 } } };

function grant(over: Partial<StandingGrant> = {}): StandingGrant {
  return {
    standing_approval_id: 'sa_AAAAAAAAAAAAAAAAAAAAAA',
    key_id: 'k1',
    tenant,
    agent: 'external_share',
    match: { params: { url: 'https://portal.example/in' } },
    reason: 'the portal',
    created_by: 'alice',
    created_at: '2026-12-07T00:00:00.000Z',
    approvals: [{ approver: 'alice', roles: ['approver'], approved_at: '2026-12-07T00:00:00.000Z' }],
    ...over,
  };
}
const policy = (approval?: unknown) => RiskPolicy.parse({ rules: [], ...(approval ? { approval } : {}) });
const refusal = (g: StandingGrant, over: Partial<Parameters<typeof standingRefusal>[1]> = {}) =>
  standingRefusal(g, { action, tenant, revoked: false, policy: policy(), now, excluded: [], ...over });

describe('what a standing approval covers', () => {
  it('an exact action: its digest, nothing else', () => {
    const exact = grant({ match: { action_digest: actionDigest(action) } });
    expect(standingCovers(exact, action)).toBe(true);
    expect(standingCovers(exact, { ...action, params: { ...action.params, extra: 1 } })).toBe(false);
    expect(standingCovers(exact, { ...action, agent: 'echo' })).toBe(false);
  });

  it('a pattern: each named param exactly (nested too, as canonical JSON), the others free', () => {
    expect(standingCovers(grant(), action)).toBe(true);
    expect(standingCovers(grant({ match: { params: { 'payload.kind': 'grades', url: 'https://portal.example/in' } } }), action)).toBe(true);
    expect(standingCovers(grant({ match: { params: { payload: { rows: 3, kind: 'grades' } } } }), action)).toBe(true);
    expect(standingCovers(grant({ match: { params: { 'payload.kind': 'grades', url: 'https://portal.example/other' } } }), action)).toBe(false);
    expect(standingCovers(grant({ match: { params: { url: 'https://portal.example/in/' } } }), action)).toBe(false);
    expect(standingCovers(grant({ match: { params: { missing: null } } }), action)).toBe(false);
    // Never a property the params only inherit.
    expect(standingCovers(grant({ match: { params: { 'url.length': 25 } } }), action)).toBe(false);
    expect(standingCovers(grant({ match: { params: { toString: Object.prototype.toString } } }), action)).toBe(false);
    const listed = { ...action, params: { ...action.params, grades: [90] } };
    expect(standingCovers(grant({ match: { params: { 'grades.length': 1 } } }), listed)).toBe(false);
    // Hidden data under a `__proto__` key is part of the action: an exact approval does not cover it.
    const hidden = { ...action, params: JSON.parse('{"url":"https://portal.example/in","payload":{"kind":"grades","rows":3,"__proto__":{"ssn":"x"}}}') as Record<string, unknown> };
    expect(standingCovers(grant({ match: { action_digest: actionDigest(action) } }), hidden)).toBe(false);
  });

  it('a request must name what it covers, narrowly', () => {
    const base = { agent: 'external_share', expires_in: '8h', reason: 'x' };
    expect(StandingApprovalRequest.safeParse({ ...base, match: { params: {} } }).success).toBe(false);
    expect(StandingApprovalRequest.safeParse({ ...base, match: { params: { 'a.constructor': 1 } } }).success).toBe(false);
    expect(StandingApprovalRequest.safeParse({ ...base, match: { params: { 'a[0]': 1 } } }).success).toBe(false);
    expect(StandingApprovalRequest.safeParse({ ...base, match: {} }).success).toBe(false);
    expect(StandingApprovalRequest.safeParse({ ...base, match: { params: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, i])) } }).success).toBe(false);
    expect(StandingApprovalRequest.safeParse({ ...base, match: { params: { url: 'x' } } }).success).toBe(true);
  });
});

describe('when a standing approval may approve', () => {
  it('when it is live, in its project, allowed, covering, its quorum met, and nobody excluded took part', () => {
    expect(refusal(grant())).toBeUndefined();
    expect(refusal(grant(), { tenant: { org_id: 'acme', project_id: 'other' } })).toMatch(/another project/);
    expect(refusal(grant(), { revoked: true })).toMatch(/revoked/);
    expect(refusal(grant({ expires_at: '2026-12-07T12:00:00.000Z' }))).toMatch(/expired/);
    expect(refusal(grant(), { policy: policy({ standing_approvals: false }) })).toMatch(/does not allow/);
    // A limit set after it was made: until revoked, or longer than the limit, it no longer approves.
    expect(refusal(grant(), { policy: policy({ standing_max_ttl: '1d' }) })).toMatch(/longer than this project's policy allows \(1d\)/);
    expect(refusal(grant({ expires_at: '2026-12-09T00:00:00.000Z' }), { policy: policy({ standing_max_ttl: '1d' }) })).toMatch(/longer than/);
    expect(refusal(grant({ expires_at: '2026-12-07T23:00:00.000Z' }), { policy: policy({ standing_max_ttl: '1d' }) })).toBeUndefined();
    expect(refusal(grant(), { action: { ...action, params: { url: 'https://evil.example' } } })).toMatch(/does not cover/);
    expect(refusal(grant(), { excluded: ['alice'] })).toMatch(/alice may not approve/);
  });

  it('the quorum of today\'s policy, counting distinct people, and under separation of duties not its creator', () => {
    const two = grant({ approvals: [...grant().approvals, { approver: 'bob', roles: ['approver'], approved_at: '2026-12-07T01:00:00.000Z' }] });
    expect(refusal(two, { policy: policy({ quorum: { external_share: 2 } }) })).toBeUndefined();
    expect(refusal(two, { policy: policy({ quorum: { '*': 3 } }) })).toMatch(/2 of the 3/);
    expect(refusal(two, { policy: policy({ quorum: { external_share: 2 }, separation_of_duties: true }) })).toMatch(/1 of the 2/);
    const twice = grant({ approvals: [...grant().approvals, ...grant().approvals] });
    expect(refusal(twice, { policy: policy({ quorum: { external_share: 2 } }) })).toMatch(/1 of the 2/);
    const rules = standingPolicy(policy({ quorum: { external_share: 2 }, separation_of_duties: true, standing_max_ttl: '30d' }), 'external_share');
    expect(rules).toEqual({ allowed: true, quorum: 2, separationOfDuties: true, maxTtl: '30d', maxTtlMs: 30 * 86_400_000 });
    expect(standingStatus(two, false, rules, now)).toBe('pending');
  });
});
