import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReportSeal } from './report-seal.js';

const key = (id: string, fill: number) => ({ id, key: Buffer.alloc(32, fill) });
const body = Buffer.from('{"report_id":"nexus/acme/demo/c1:3","report_type":"task_completed"}');

describe('report seals', () => {
  it('holds for the exact body it was made for, and for nothing else', () => {
    const seal = new ReportSeal([key('k1', 1)]);
    const made = seal.sign(body);
    expect(seal.verify(body, made)).toEqual({ ok: true });
    const altered = Buffer.from(body);
    const at = altered.length - 3;
    altered.writeUInt8(altered.readUInt8(at) ^ 1, at);
    expect(seal.verify(altered, made)).toEqual({ ok: false, code: 'report_forged' });
  });

  it('refuses a missing or malformed seal, an unknown key and another key under the same id', () => {
    const seal = new ReportSeal([key('k1', 1)]);
    for (const bad of [undefined, '', 42, 'k1', `k1:${'A'.repeat(42)}`, Buffer.from(seal.sign(body))]) {
      expect(seal.verify(body, bad)).toEqual({ ok: false, code: 'report_unsigned' });
    }
    expect(seal.verify(body, new ReportSeal([key('k2', 1)]).sign(body))).toEqual({ ok: false, code: 'report_key_unknown' });
    expect(seal.verify(body, new ReportSeal([key('k1', 2)]).sign(body))).toEqual({ ok: false, code: 'report_forged' });
  });

  it('rotates with the decision keys: the newest seals, every key still verifies', () => {
    const before = new ReportSeal([key('old', 1)]);
    const after = new ReportSeal([key('new', 2), key('old', 1)]);
    expect(after.sign(body).startsWith('new:')).toBe(true);
    expect(after.verify(body, before.sign(body))).toEqual({ ok: true });
  });

  it('is not the decision key itself: a seal made with the raw key does not verify', () => {
    const raw = `k1:${createHmac('sha256', Buffer.alloc(32, 1)).update(body).digest('base64url')}`;
    expect(new ReportSeal([key('k1', 1)]).verify(body, raw)).toEqual({ ok: false, code: 'report_forged' });
  });
});
