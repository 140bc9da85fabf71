import { createHmac, timingSafeEqual } from 'node:crypto';
import { purposeKeys, type KeyRing } from './key-ring.js';

/** The AMQP header that carries a report's seal: `<key id>:<base64url HMAC-SHA256 of the message body>`. */
export const REPORT_SEAL_HEADER = 'x-nexus-seal';

export type ReportSealRefusal = 'report_unsigned' | 'report_key_unknown' | 'report_forged';

/**
 * Seals the reports NEXUS publishes and checks them in the bridge, so a message put on the reports exchange by
 * anyone else (RabbitMQ's default login, a leaked password) never reaches a stream or the ask index. The keys are
 * derived from the decision keys with a purpose label: every NEXUS process already holds those, the key id and
 * rotation follow them, and a report seal can never pass for a decision proof.
 */
export class ReportSeal {
  private readonly keys: ReadonlyArray<{ id: string; key: Buffer }>;

  constructor(decisionKeys: KeyRing) {
    if (decisionKeys.length === 0) throw new Error('a report seal needs at least one key');
    this.keys = purposeKeys(decisionKeys, 'nexus report seal v1');
  }

  /** Over the exact bytes published: any change to the body, however small, breaks it. */
  sign(body: Buffer): string {
    const active = this.keys[0];
    if (!active) throw new Error('no report key');
    return `${active.id}:${mac(active.key, body)}`;
  }

  verify(body: Buffer, seal: unknown): { ok: true } | { ok: false; code: ReportSealRefusal } {
    if (typeof seal !== 'string' || !/^[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9_-]{43}$/.test(seal)) return { ok: false, code: 'report_unsigned' };
    const at = seal.indexOf(':');
    const key = this.keys.find((k) => k.id === seal.slice(0, at));
    if (!key) return { ok: false, code: 'report_key_unknown' };
    const given = Buffer.from(seal.slice(at + 1), 'base64url');
    const expected = Buffer.from(mac(key.key, body), 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, code: 'report_forged' };
  }
}

function mac(key: Buffer, body: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
