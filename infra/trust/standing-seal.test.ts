import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StandingGrant } from '../../contracts/index.js';
import { StandingSeal } from './standing-seal.js';

const key = { id: 'k1', key: randomBytes(32) };
const seal = new StandingSeal([key]);

function grant(over: Partial<StandingGrant> = {}): StandingGrant {
  return {
    ...seal.newGrant(),
    tenant: { org_id: 'acme', project_id: 'school' },
    agent: 'external_share',
    match: { params: { url: 'https://portal.example/in' } },
    reason: 'the portal',
    created_by: 'alice',
    created_at: '2026-12-07T00:00:00.000Z',
    approvals: [{ approver: 'alice', roles: ['approver'], approved_at: '2026-12-07T00:00:00.000Z' }],
    ...over,
  };
}

describe('StandingSeal', () => {
  it('verifies exactly the grant it signed', () => {
    const signed = seal.sign(grant());
    expect(signed.grant.standing_approval_id).toMatch(/^sa_[A-Za-z0-9_-]{22}$/);
    expect(seal.verify(signed)).toEqual(signed.grant);
    expect(seal.verify(JSON.parse(JSON.stringify(signed)))).toEqual(signed.grant);
  });

  it.each([
    ['a wider match', { match: { params: { url: 'https://evil.example' } } }],
    ['another tenant', { tenant: { org_id: 'acme', project_id: 'other' } }],
    ['one more approver', { approvals: [...grant().approvals, { approver: 'mallory', roles: ['approver'], approved_at: '2026-12-07T00:00:00.000Z' }] }],
    ['no expiry', { expires_at: undefined }],
    ['a later expiry', { expires_at: '2027-12-07T00:00:00.000Z' }],
  ] as Array<[string, Partial<StandingGrant>]>)('refuses the grant changed to %s', (_, change) => {
    const signed = seal.sign(grant({ expires_at: '2026-12-08T00:00:00.000Z' }));
    const changed: Partial<StandingGrant> = { ...signed.grant, ...change };
    if ('expires_at' in change && change.expires_at === undefined) delete changed.expires_at;
    expect(seal.verify({ grant: changed, signature: signed.signature })).toBeUndefined();
  });

  it('refuses a grant with extra fields, a malformed signature, another key, and whatever is not a grant', () => {
    const signed = seal.sign(grant());
    expect(seal.verify({ grant: { ...signed.grant, admin: true }, signature: signed.signature })).toBeUndefined();
    expect(seal.verify({ grant: signed.grant, signature: 'short' })).toBeUndefined();
    expect(new StandingSeal([{ id: 'k1', key: randomBytes(32) }]).verify(signed)).toBeUndefined();
    for (const junk of [undefined, null, 'sa_x', 42, {}, { grant: null, signature: signed.signature }]) expect(seal.verify(junk)).toBeUndefined();
  });

  it('keeps verifying across a key rotation, and signs again with the active key', () => {
    const signed = seal.sign(grant());
    const rotated = new StandingSeal([{ id: 'k2', key: randomBytes(32) }, key]);
    expect(rotated.verify(signed)).toEqual(signed.grant);
    const moved = rotated.sign(signed.grant);
    expect(moved.grant.key_id).toBe('k2');
    expect(rotated.verify(moved)).toEqual(moved.grant);
    // A ring without its key: it no longer stands.
    expect(new StandingSeal([{ id: 'k3', key: randomBytes(32) }]).verify(signed)).toBeUndefined();
  });
});
