import { z } from 'zod';
import { ClientKey } from './ids.js';
import { AgentName } from './command.js';
import { Tenant } from './tenant.js';
import { DECISION_REFUSALS } from './failure-codes.js';

export const AskId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an ask id');
export type AskId = z.infer<typeof AskId>;

/** The exact thing that will run if approved; its digest binds the approval to it. */
export const Action = z.object({ agent: AgentName, params: z.record(z.string(), z.unknown()) });
export type Action = z.infer<typeof Action>;

export const ActionDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex>');

export const Decision = z.enum(['approve', 'deny']);
export type Decision = z.infer<typeof Decision>;

/** The body of `POST /approvals/{ask_id}/decide`. */
export const DecideRequest = z.strictObject({
  decision: Decision,
  reason: z.string().max(2000).optional(),
  /** Required: the digest of the action the approver saw; a decision is bound to exactly that action. */
  action_digest: ActionDigest,
  /**
   * Edit and approve: the params to run instead. An edited action is a new action: it is assessed again and,
   * when it needs approval, becomes a new ask that its editor may not approve.
   */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type DecideRequest = z.infer<typeof DecideRequest>;

/**
 * The NEXUS API's signature over a decision (HMAC-SHA256 with a key only the API and the worker hold). The
 * workflow acts on a decision only after the worker verified it: a decision sent straight to Temporal, with
 * whatever roles it claims, has no valid proof and runs nothing.
 */
export const DecisionProof = z.strictObject({
  key_id: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  signed_at: z.iso.datetime(),
  /** base64url HMAC-SHA256 of the canonical JSON of the decision with this proof minus the signature. */
  signature: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
export type DecisionProof = z.infer<typeof DecisionProof>;

/** What the `decide` update carries into the workflow; every field is covered by the proof. */
export const DecideInput = z.strictObject({
  ask_id: AskId,
  workflow_id: z.string().min(1).max(300),
  tenant: Tenant,
  decision: Decision,
  reason: z.string().max(2000).optional(),
  action_digest: ActionDigest,
  params: z.record(z.string(), z.unknown()).optional(),
  decided_by: z.string().min(1).max(200),
  /** The decider's roles as the API verified them; after escalation an admin may decide too. */
  roles: z.array(z.string().max(32)).max(8),
  decided_at: z.iso.datetime(),
  proof: DecisionProof,
});
export type DecideInput = z.infer<typeof DecideInput>;
export type UnsignedDecision = Omit<DecideInput, 'proof'>;

/** Why the worker refused a decision's proof; each refusal is audited. */
export const DecisionRefusal = z.enum(Object.values(DECISION_REFUSALS));
export type DecisionRefusal = z.infer<typeof DecisionRefusal>;

/** What the worker's verification of a decision returns to the workflow. */
export type DecisionVerdict = { ok: true } | { ok: false; code: DecisionRefusal; message: string };

export const DecideAccepted = z.object({
  status: z.literal('accepted'),
  ask_id: AskId,
  correlation_id: ClientKey,
});
export type DecideAccepted = z.infer<typeof DecideAccepted>;
