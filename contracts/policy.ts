import { z } from 'zod';
import { RiskLevel } from './risk.js';

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

/** A risk policy file (per org/project). Rules can only raise risk; the highest match wins. */
export const RiskPolicy = z.strictObject({
  rules: z.array(PolicyRule).max(500),
  /** Narrows NEXUS_SHARE_ALLOWLIST for this org/project: a share must match both lists. */
  share_allowlist: z.array(z.string().min(1)).max(500).optional(),
});
export type RiskPolicy = z.infer<typeof RiskPolicy>;

export const PolicyVerdict = z.object({ risk: RiskLevel, reasons: z.array(z.string()) });
export type PolicyVerdict = z.infer<typeof PolicyVerdict>;
