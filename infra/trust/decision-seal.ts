import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson, DecideInput, type DecisionVerdict, type UnsignedDecision } from '../../contracts/index.js';
import type { KeyRing } from './key-ring.js';

/** A proof signed a little in the future (clock skew between API and worker) is still accepted. */
const MAX_SKEW_MS = 30_000;

/**
 * Signs decisions in the API and verifies them in the worker. The key never enters Temporal: the API signs
 * before the update is sent, the worker verifies in an activity and only the verdict is recorded in history.
 */
export class DecisionSeal {
  constructor(
    private readonly ring: KeyRing,
    /** How long a proof is good for after signing: the API sends it at once, so minutes are plenty. */
    private readonly maxAgeMs: number,
  ) {
    if (ring.length === 0) throw new Error('a decision seal needs at least one key');
  }

  sign(decision: UnsignedDecision, now = new Date()): DecideInput {
    const active = this.ring[0];
    if (!active) throw new Error('no signing key');
    const proof = { key_id: active.id, nonce: randomBytes(18).toString('base64url'), signed_at: now.toISOString() };
    const signature = mac(active.key, { ...decision, proof });
    return { ...decision, proof: { ...proof, signature } };
  }

  /**
   * The Temporal update id of a decision: the same approver, decision, edit and delivery attempt always get the
   * same id (a retried request is deduplicated by Temporal), and nobody without the key can compute it. A predictable id would let
   * anyone who can reach Temporal send a refused update under it first, and Temporal would answer the approver's
   * real decision with that cached refusal.
   */
  updateId(decision: Pick<UnsignedDecision, 'ask_id' | 'decided_by' | 'decision' | 'params'>, attempt: number): string {
    const active = this.ring[0];
    if (!active) throw new Error('no signing key');
    const { ask_id, decided_by, decision: verdict, params } = decision;
    return `decide-${mac(active.key, { purpose: 'update-id', ask_id, decided_by, decision: verdict, params, attempt })}`;
  }

  /**
   * Checks that `raw` is a decision the API signed, for this workflow and ask, recently. Never throws: a refusal
   * is a verdict the workflow records and the caller audits. `age: 'any'` is for the check where the effect
   * happens, which can come hours after a quorum's first approval: freshness was checked when each one arrived,
   * and there the approval is used once instead.
   */
  verify(raw: unknown, expected: { workflow_id: string; ask_id: string }, now = new Date(), age: 'recent' | 'any' = 'recent'): DecisionVerdict {
    const parsed = DecideInput.safeParse(raw);
    if (!parsed.success) {
      return { ok: false, code: 'decision_unsigned', message: 'the decision carries no valid NEXUS proof; decide through the NEXUS API' };
    }
    const { proof, ...decision } = parsed.data;
    const key = this.ring.find((k) => k.id === proof.key_id);
    if (!key) return { ok: false, code: 'decision_key_unknown', message: `no decision key ${proof.key_id}` };
    const expectedMac = Buffer.from(mac(key.key, { ...decision, proof: { key_id: proof.key_id, nonce: proof.nonce, signed_at: proof.signed_at } }), 'base64url');
    const given = Buffer.from(proof.signature, 'base64url');
    if (given.length !== expectedMac.length || !timingSafeEqual(given, expectedMac)) {
      return { ok: false, code: 'decision_forged', message: 'the decision proof does not match its content' };
    }
    if (decision.workflow_id !== expected.workflow_id || decision.ask_id !== expected.ask_id) {
      return { ok: false, code: 'decision_foreign', message: 'the proof was made for another command or ask' };
    }
    const elapsed = now.getTime() - Date.parse(proof.signed_at);
    if (elapsed < -MAX_SKEW_MS || (age === 'recent' && elapsed > this.maxAgeMs)) {
      return { ok: false, code: 'decision_stale', message: 'the decision proof has expired; decide again' };
    }
    return { ok: true };
  }
}

function mac(key: Buffer, value: unknown): string {
  return createHmac('sha256', key).update(canonicalJson(value)).digest('base64url');
}
