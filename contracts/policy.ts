import { z } from 'zod';
import { RiskLevel } from './risk.js';
import { ShareAllowlistEntry } from './share-allowlist.js';
import { NotifyPlan, NotifyTarget } from './notify.js';

/** A condition on one param (dot path into the params). Exactly one test per condition. */
export const PolicyCondition = z.union([
  z.strictObject({ param: z.string().min(1), count_gt: z.number().int().nonnegative() }),
  z.strictObject({ param: z.string().min(1), host_not_in: z.array(z.string().min(1)) }),
  z.strictObject({ param: z.string().min(1), host_in: z.array(z.string().min(1)) }),
  z.strictObject({ param: z.string().min(1), equals: z.unknown() }),
  z.strictObject({ param: z.string().min(1), matches: z.string().min(1) }),
  z.strictObject({ param: z.string().min(1), exists: z.boolean() }),
]);
export type PolicyCondition = z.infer<typeof PolicyCondition>;

export const PolicyRule = z.strictObject({
  /** An agent name, or `*` for every agent. */
  agent: z.string().min(1),
  when: PolicyCondition.optional(),
  risk: RiskLevel,
  reason: z.string().min(1).max(500),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** Durations in policy files: `90s`, `10m`, `2h`, `1d`. */
const PolicyDuration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 10m or 2h');

/** How RED asks of this org/project are approved. */
export const ApprovalPolicy = z.strictObject({
  /** The person who sent a command may not approve it. */
  separation_of_duties: z.boolean().default(false),
  /** Approvals needed per agent (`*` for any); any deny ends the ask. */
  quorum: z.record(z.string(), z.number().int().min(1).max(10)).default({}),
  /** A reminder report this long before the ask expires. */
  reminder_before: PolicyDuration.optional(),
  /** This long before expiry the ask escalates: admins may decide too. Then it expires (automatic deny). */
  escalate_before: PolicyDuration.optional(),
  /** Who is told about each ask, its reminder and its escalation, and where: each message carries their approval link. */
  notify: z.array(NotifyTarget).max(50).optional(),
  /** Whether approvers may approve matching actions ahead of time here (`POST /standing-approvals`). */
  standing_approvals: z.boolean().default(true),
  /** The longest a standing approval may stand; when set, none may stand until revoked. */
  standing_max_ttl: PolicyDuration.optional(),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

/** What the workflow applies to one ask, resolved from the policy for its agent. */
export const ApprovalRequirements = z.object({
  quorum: z.number().int().min(1),
  separation_of_duties: z.boolean(),
  reminder_before_ms: z.number().int().positive().optional(),
  escalate_before_ms: z.number().int().positive().optional(),
  /** Whom to tell, without their addresses (those stay in the policy file). */
  notify: z.array(NotifyPlan).optional(),
});
export type ApprovalRequirements = z.infer<typeof ApprovalRequirements>;

/** Approvals one agent's asks need: its own quorum, else `*`, else one approver. */
export function quorumFor(policy: RiskPolicy, agent: string): number {
  return policy.approval?.quorum[agent] ?? policy.approval?.quorum['*'] ?? 1;
}

/** A risk policy file (per org/project). Rules can only raise risk; the highest match wins. */
export const RiskPolicy = z.strictObject({
  rules: z.array(PolicyRule).max(500),
  /**
   * Narrows NEXUS_SHARE_ALLOWLIST for this org/project: a share must match both lists. Same grammar
   * (scheme://host:port/path-prefix, or a bare host/CIDR meaning https on 443); a bad entry fails the file.
   */
  share_allowlist: z.array(ShareAllowlistEntry).max(500).optional(),
  approval: ApprovalPolicy.optional(),
});
export type RiskPolicy = z.infer<typeof RiskPolicy>;

export const PolicyVerdict = z.object({ risk: RiskLevel, reasons: z.array(z.string()) });
export type PolicyVerdict = z.infer<typeof PolicyVerdict>;
