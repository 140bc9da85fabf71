import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson, type ApprovalLinkRecord } from '../../contracts/index.js';
import { purposeKeys, type KeyRing } from './key-ring.js';

/**
 * Signs approval links and checks them. A link is `<id>.<signature>`; the signature covers the id and the whole
 * record NEXUS keeps for it (ask, digest, approver, roles, expiry), so a changed link is refused, and so is a link
 * whose record someone changed in Redis: whoever can write there still cannot make a link, nor
 * point one at another ask or approver. Keys are derived from the decision keys with a purpose label, like the
 * report seal: every API holds them, rotation follows them, and a link signature never passes for anything else.
 */
export class LinkSeal {
  private readonly keys: ReadonlyArray<{ id: string; key: Buffer }>;

  constructor(decisionKeys: KeyRing) {
    if (decisionKeys.length === 0) throw new Error('a link seal needs at least one key');
    this.keys = purposeKeys(decisionKeys, 'nexus approval link v1');
  }

  /** A new link id and the key that will sign it. */
  newLink(): { link_id: string; key_id: string } {
    const active = this.keys[0];
    if (!active) throw new Error('no link key');
    return { link_id: randomBytes(16).toString('base64url'), key_id: active.id };
  }

  /** The link the approver is sent for this record. */
  sign(record: ApprovalLinkRecord): string {
    const key = this.keys.find((k) => k.id === record.key_id);
    if (!key) throw new Error(`no link key ${record.key_id}`);
    return `${record.link_id}.${mac(key.key, record)}`;
  }

  /** The id part of a well-formed link (a record is looked up under it), before its signature is known to be good. */
  static idOf(link: string): string {
    return link.slice(0, link.indexOf('.'));
  }

  /** Whether `link` is exactly the one NEXUS signed for `record` (a rotated-out key makes every link of it invalid). */
  verify(link: string, record: ApprovalLinkRecord): boolean {
    const key = this.keys.find((k) => k.id === record.key_id);
    if (!key || LinkSeal.idOf(link) !== record.link_id) return false;
    const given = Buffer.from(link.slice(link.indexOf('.') + 1), 'base64url');
    const expected = Buffer.from(mac(key.key, record), 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function mac(key: Buffer, record: ApprovalLinkRecord): string {
  return createHmac('sha256', key).update(canonicalJson(record)).digest('base64url');
}
