import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type ApprovalLinkRecord } from '../../contracts/index.js';
import { LinkSeal } from './link-seal.js';

const decisionKey = { id: 'k1', key: randomBytes(32) };
const seal = new LinkSeal([decisionKey]);

function record(over: Partial<ApprovalLinkRecord> = {}): ApprovalLinkRecord {
  return {
    ...seal.newLink(),
    tenant: { org_id: 'acme', project_id: 'school' },
    ask_id: 'ask-1',
    action_digest: `sha256:${'a'.repeat(64)}`,
    approver: 'tok_approver',
    roles: ['approver'],
    approver_kind: 'token',
    issued_by: 'tok_admin',
    issued_at: '2026-12-07T00:00:00.000Z',
    expires_at: '2026-12-08T00:00:00.000Z',
    ...over,
  };
}

describe('LinkSeal', () => {
  it('verifies the link it signed, for exactly that record', () => {
    const r = record();
    const link = seal.sign(r);
    expect(link).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(LinkSeal.idOf(link)).toBe(r.link_id);
    expect(seal.verify(link, r)).toBe(true);
  });

  it.each([
    ['approver', { approver: 'tok_someone_else' }],
    ['roles', { roles: ['approver', 'admin'] }],
    ['ask', { ask_id: 'ask-2' }],
    ['digest', { action_digest: `sha256:${'b'.repeat(64)}` }],
    ['tenant', { tenant: { org_id: 'acme', project_id: 'other' } }],
    ['expiry', { expires_at: '2027-12-08T00:00:00.000Z' }],
  ] as Array<[string, Partial<ApprovalLinkRecord>]>)('refuses the link once its record names another %s', (_what, change) => {
    const r = record();
    expect(seal.verify(seal.sign(r), { ...r, ...change })).toBe(false);
  });

  it('refuses a link of another id, another install, or a MAC made straight with the decision key', () => {
    const r = record();
    const link = seal.sign(r);
    expect(seal.verify(link, { ...r, link_id: seal.newLink().link_id })).toBe(false);
    expect(new LinkSeal([{ id: 'k1', key: randomBytes(32) }]).verify(link, r)).toBe(false);
    // Purpose-separated: the decision key itself (what signs decisions) does not make a link.
    const raw = `${r.link_id}.${createHmac('sha256', decisionKey.key).update(canonicalJson(r)).digest('base64url')}`;
    expect(seal.verify(raw, r)).toBe(false);
  });

  it('keeps verifying links of a key rotated to second place, and stops once it is removed', () => {
    const r = record();
    const link = seal.sign(r);
    const rotated = new LinkSeal([{ id: 'k2', key: randomBytes(32) }, decisionKey]);
    expect(rotated.verify(link, r)).toBe(true);
    expect(rotated.newLink().key_id).toBe('k2');
    expect(new LinkSeal([{ id: 'k2', key: randomBytes(32) }]).verify(link, r)).toBe(false);
  });
});
