import { z } from 'zod';
import { ActionDigest } from './ask.js';
import { AgentName } from './command.js';
import { Tenant } from './tenant.js';

export const StandingApprovalId = z.string().regex(/^sa_[A-Za-z0-9_-]{22}$/, 'must be a standing approval id');
export type StandingApprovalId = z.infer<typeof StandingApprovalId>;

/** A dot path into an action's params (`url`, `payload.kind`); no index tricks, no prototype names. */
const ParamPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,7}$/, 'must be a param path like url or payload.kind')
  .refine((path) => !path.split('.').some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype'), 'must not name a prototype property');

/** At most this many params in a pattern, and this many active or pending standing approvals per org/project. */
export const MAX_PATTERN_PARAMS = 20;
export const MAX_STANDING_PER_PROJECT = 100;

/**
 * What a standing approval covers. `action_digest`: exactly one action (the digest an ask shows). `params`: every
 * action of the agent whose named params hold exactly these JSON values; params it does not name are free, and a
 * pattern has no wildcards or alternatives, so each entry can only narrow what it covers.
 */
export const StandingMatch = z.union([
  z.strictObject({ action_digest: ActionDigest }),
  z.strictObject({
    params: z.record(ParamPath, z.unknown())
      .refine((p) => Object.keys(p).length >= 1, 'name at least one param: approving every action of an agent is a policy change, not an approval')
      .refine((p) => Object.keys(p).length <= MAX_PATTERN_PARAMS, `at most ${MAX_PATTERN_PARAMS} params`),
  }),
]);
export type StandingMatch = z.infer<typeof StandingMatch>;

/** The body of `POST /standing-approvals`. */
export const StandingApprovalRequest = z.strictObject({
  agent: AgentName,
  match: StandingMatch,
  /** How long it stands (`8h`, `30d`); absent: until revoked (a project's policy may require a limit). */
  expires_in: z.string().regex(/^\d{1,6}(s|m|h|d)$/, 'must be a duration like 8h or 30d').optional(),
  /** Why: shown with every ask it approves. */
  reason: z.string().trim().min(1).max(500),
});
export type StandingApprovalRequest = z.infer<typeof StandingApprovalRequest>;

/** The body of `POST /standing-approvals/{id}/revoke` (and of `/approve`, whose reason is optional too). */
export const StandingApprovalNote = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });
export type StandingApprovalNote = z.infer<typeof StandingApprovalNote>;

export const StandingApprover = z.strictObject({
  approver: z.string().min(1).max(200),
  /** The roles the API verified for them when they approved. */
  roles: z.array(z.string().max(32)).max(8),
  approved_at: z.iso.datetime(),
});
export type StandingApprover = z.infer<typeof StandingApprover>;

/**
 * The grant NEXUS signs, field for field. Nothing here comes from the request but what its creator chose (agent,
 * match, expiry, reason); the approvers are those the API authenticated. Signed again at each approval.
 */
export const StandingGrant = z.strictObject({
  standing_approval_id: StandingApprovalId,
  key_id: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
  tenant: Tenant,
  agent: AgentName,
  match: StandingMatch,
  reason: z.string().max(500),
  created_by: z.string().min(1).max(200),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().optional(),
  approvals: z.array(StandingApprover).min(1).max(10),
});
export type StandingGrant = z.infer<typeof StandingGrant>;

/** A grant with NEXUS's signature: what an assessment hands the workflow and the workflow hands the agent step. */
export const SignedStandingGrant = z.strictObject({
  grant: StandingGrant,
  signature: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
export type SignedStandingGrant = z.infer<typeof SignedStandingGrant>;

export const StandingStatus = z.enum(['pending', 'active', 'revoked', 'expired']);
export type StandingStatus = z.infer<typeof StandingStatus>;

/** What the API answers about one standing approval. */
export const StandingApprovalView = z.object({
  standing_approval_id: StandingApprovalId,
  tenant: Tenant,
  agent: AgentName,
  match: StandingMatch,
  reason: z.string(),
  created_by: z.string(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().nullable(),
  approvals: z.array(StandingApprover),
  /** Approvals that count now (under separation of duties, not its creator's) and how many the policy needs. */
  approvals_counted: z.number().int().nonnegative(),
  quorum: z.number().int().positive(),
  status: StandingStatus,
  /** Why today's policy keeps it from approving anything, though it stands (turned off, or longer than allowed now). */
  held_by_policy: z.string().optional(),
  revoked_by: z.string().optional(),
  revoked_at: z.iso.datetime().optional(),
  revoke_reason: z.string().optional(),
  /** Asks it has approved so far (each use is in the audit log). */
  uses: z.number().int().nonnegative(),
});
export type StandingApprovalView = z.infer<typeof StandingApprovalView>;

export const StandingApprovalList = z.object({ standing_approvals: z.array(StandingApprovalView) });
export type StandingApprovalList = z.infer<typeof StandingApprovalList>;

export const StandingListQuery = z.strictObject({ status: z.enum(['pending', 'active', 'revoked', 'expired', 'all']).optional() });
