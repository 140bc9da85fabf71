import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { isRefusedPayload, type PayloadRefusal } from '../contracts/refused-payload.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

const ring = [{ id: 'k2', key: randomBytes(32) }, { id: 'k1', key: randomBytes(32) }];
const codec = new AesGcmPayloadCodec(ring);
const value = { student: 'kim', grades: [90, 85] };

async function decoded(payload: Payload): Promise<unknown> {
  const [out] = await codec.decode([payload]);
  return defaultPayloadConverter.fromPayload(out as Payload);
}

function refusal(v: unknown): PayloadRefusal {
  if (!isRefusedPayload(v)) throw new Error(`not refused: ${JSON.stringify(v)}`);
  return v.nexus_refused_payload;
}

describe('AesGcmPayloadCodec', () => {
  it('round-trips a value, and holds no plaintext in what it encodes', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    if (!sealed) throw new Error('nothing encoded');
    expect(Buffer.from(sealed.data ?? new Uint8Array()).toString()).not.toContain('kim');
    expect(await decoded(sealed)).toEqual(value);
  });

  it('reads payloads sealed under an older key of the ring', async () => {
    const [sealed] = await new AesGcmPayloadCodec([ring[1] ?? ring[0]!]).encode([defaultPayloadConverter.toPayload(value)]);
    expect(await decoded(sealed as Payload)).toEqual(value);
  });

  it('hands on a refusal, never the value and never a throw, for a plaintext payload', async () => {
    expect(refusal(await decoded(defaultPayloadConverter.toPayload(value)))).toEqual({ reason: 'plaintext', encoding: 'json/plain' });
    expect(refusal(await decoded({ data: Buffer.from('x') }))).toEqual({ reason: 'plaintext', encoding: 'none' });
  });

  it('refuses a payload under a key the ring does not hold', async () => {
    const [sealed] = await new AesGcmPayloadCodec([{ id: 'stolen', key: randomBytes(32) }]).encode([defaultPayloadConverter.toPayload(value)]);
    expect(refusal(await decoded(sealed as Payload))).toEqual({ reason: 'key_unknown', key_id: 'stolen' });
  });

  it('refuses an altered, truncated, or re-labelled ciphertext', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    if (!sealed?.data) throw new Error('nothing encoded');
    const flipped = Buffer.from(sealed.data);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(refusal(await decoded({ ...sealed, data: flipped }))).toEqual({ reason: 'tampered' });
    expect(refusal(await decoded({ ...sealed, data: sealed.data.subarray(0, 10) }))).toEqual({ reason: 'tampered' });
    // The key id is the additional data: moving a ciphertext under another key id of the ring breaks it.
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, 'encryption-key-id': Buffer.from('k1') } };
    expect(refusal(await decoded(relabelled))).toEqual({ reason: 'tampered' });
  });

  it('decodes a batch payload by payload: one refused payload does not take the others with it', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    const out = await codec.decode([defaultPayloadConverter.toPayload('plain'), sealed as Payload]);
    expect(isRefusedPayload(defaultPayloadConverter.fromPayload(out[0] as Payload))).toBe(true);
    expect(defaultPayloadConverter.fromPayload(out[1] as Payload)).toEqual(value);
  });
});
