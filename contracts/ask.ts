import { z } from 'zod';
import { ClientKey } from './ids.js';
import { AgentName } from './command.js';
import { Tenant } from './tenant.js';

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
  action_digest: ActionDigest.optional(),
  /** Edit and approve: the params that will run instead, validated against the agent's schema. */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type DecideRequest = z.infer<typeof DecideRequest>;

/** What the `decide` update carries into the workflow; the validator checks every field. */
export const DecideInput = z.object({
  ask_id: AskId,
  tenant: Tenant,
  decision: Decision,
  reason: z.string().max(2000).optional(),
  action_digest: ActionDigest.optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  decided_by: z.string().max(200),
  /** The decider's roles; after escalation an admin may decide too. */
  roles: z.array(z.string()).default(['approver']),
  decided_at: z.iso.datetime(),
});
export type DecideInput = z.infer<typeof DecideInput>;

export const DecideAccepted = z.object({
  status: z.literal('accepted'),
  ask_id: AskId,
  correlation_id: ClientKey,
});
export type DecideAccepted = z.infer<typeof DecideAccepted>;

export const AskStatus = z.enum(['pending', 'deciding', 'resolved', 'expired']);
export type AskStatus = z.infer<typeof AskStatus>;

/** What the bridge indexes per ask so the approval route can answer 404/409 without asking Temporal. */
export const AskIndexEntry = z.object({
  ask_id: AskId,
  workflow_id: z.string(),
  correlation_id: ClientKey,
  status: AskStatus,
  expires_at: z.iso.datetime(),
  action_digest: ActionDigest,
  agent: z.string(),
});
export type AskIndexEntry = z.infer<typeof AskIndexEntry>;

