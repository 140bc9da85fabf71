import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson, StandingGrant, type SignedStandingGrant } from '../../contracts/index.js';
import { purposeKeys, type KeyRing } from './key-ring.js';

/**
 * Signs standing approvals in the API and checks them in the worker, before an assessment offers one and again where
 * the effect happens. The signature covers the whole grant (tenant, agent, what it matches, expiry, every approver
 * and their roles), so whoever can write Redis still cannot make one, widen one or add an approver to one. Keys are
 * derived from the decision keys with a purpose label, as for links and reports: never valid as anything else.
 */
export class StandingSeal {
  private readonly keys: ReadonlyArray<{ id: string; key: Buffer }>;

  constructor(decisionKeys: KeyRing) {
    if (decisionKeys.length === 0) throw new Error('a standing approval seal needs at least one key');
    this.keys = purposeKeys(decisionKeys, 'nexus standing approval v1');
  }

  /** A new id and the key that will sign its grant. */
  newGrant(): { standing_approval_id: string; key_id: string } {
    const active = this.keys[0];
    if (!active) throw new Error('no standing approval key');
    return { standing_approval_id: `sa_${randomBytes(16).toString('base64url')}`, key_id: active.id };
  }

  /**
   * Signed with the active key, also when it is signed again at an approval: a standing approval moves to the new
   * key at its next approval, and one signed with a key no longer in the ring no longer stands.
   */
  sign(grant: StandingGrant): SignedStandingGrant {
    const key = this.keys[0];
    if (!key) throw new Error('no standing approval key');
    const signed = { ...grant, key_id: key.id };
    return { grant: signed, signature: mac(key.key, signed) };
  }

  /** The grant, when `raw` is exactly one NEXUS signed; undefined for anything else. Never throws. */
  verify(raw: unknown): StandingGrant | undefined {
    const candidate = (raw ?? {}) as { grant?: unknown; signature?: unknown };
    const parsed = StandingGrant.safeParse(candidate.grant);
    if (!parsed.success || typeof candidate.signature !== 'string') return undefined;
    const key = this.keys.find((k) => k.id === parsed.data.key_id);
    if (!key) return undefined;
    const given = Buffer.from(candidate.signature, 'base64url');
    const expected = Buffer.from(mac(key.key, parsed.data), 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? parsed.data : undefined;
  }
}

function mac(key: Buffer, grant: StandingGrant): string {
  return createHmac('sha256', key).update(canonicalJson(grant)).digest('base64url');
}
