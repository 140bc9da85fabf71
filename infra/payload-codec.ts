import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { refusedPayload, type PayloadRefusal } from '../contracts/refused-payload.js';
import protos from '@temporalio/proto';
import type { KeyRing } from './trust/key-ring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
// The package is CommonJS: a default import works both under tsx and vitest.
const ProtoPayload = protos.temporal.api.common.v1.Payload;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const text = new TextEncoder();
const untext = new TextDecoder();

/**
 * AES-256-GCM over each whole payload (metadata included), so workflow inputs, results, update arguments and
 * activity data are ciphertext in Temporal's history and Web UI. The key id travels in clear metadata so a ring
 * with older keys still decrypts after rotation; it is also the GCM additional data, so it cannot be swapped.
 * Search attributes are not payloads of this codec: they stay readable and must hold no personal data.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {
    if (ring.length === 0) throw new Error('a payload codec needs at least one key');
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const active = this.ring[0];
    if (!active) throw new ValueError('no payload key');
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', active.key, iv);
      cipher.setAAD(text.encode(active.id));
      const plain = ProtoPayload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: text.encode(ENCRYPTED_ENCODING), [KEY_ID]: text.encode(active.id) },
        data: sealed,
      };
    });
  }

  /**
   * Never throws for a payload it refuses (plaintext, an unknown key, a failed integrity check): it hands on a
   * `RefusedPayload` marker instead, which the payload guards refuse where it arrives (contracts/refused-payload.ts
   * says why a throw here would let anyone on Temporal's port stop any workflow).
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  private open(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    const claimed = encoding ? untext.decode(encoding) : '';
    if (claimed !== ENCRYPTED_ENCODING) return refused({ reason: 'plaintext', encoding: claimed.slice(0, 100) || 'none' });
    const idBytes = payload.metadata?.[KEY_ID];
    const id = idBytes ? untext.decode(idBytes) : '';
    const key = this.ring.find((k) => k.id === id);
    if (!key) return refused({ reason: 'key_unknown', key_id: id.slice(0, 100) || '(none)' });
    const data = payload.data;
    if (!data || data.length < IV_BYTES + TAG_BYTES) return refused({ reason: 'tampered' });
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(text.encode(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return ProtoPayload.decode(plain);
    } catch {
      return refused({ reason: 'tampered' });
    }
  }
}

function refused(refusal: PayloadRefusal): Payload {
  return defaultPayloadConverter.toPayload(refusedPayload(refusal));
}
