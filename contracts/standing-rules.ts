import { parseDuration } from './duration.js';
import { quorumFor, type RiskPolicy } from './policy.js';
import type { StandingGrant, StandingStatus } from './standing-approval.js';

/** What a project's policy says about standing approvals of one agent, today. */
export interface StandingPolicy {
  allowed: boolean;
  quorum: number;
  separationOfDuties: boolean;
  /** The longest one may stand (`30d`, and in ms); undefined: no limit (until revoked is allowed). */
  maxTtl: string | undefined;
  maxTtlMs: number | undefined;
}

export function standingPolicy(policy: RiskPolicy, agent: string): StandingPolicy {
  const maxTtl = policy.approval?.standing_max_ttl;
  return {
    allowed: policy.approval?.standing_approvals ?? true,
    quorum: quorumFor(policy, agent),
    separationOfDuties: policy.approval?.separation_of_duties ?? false,
    maxTtl,
    maxTtlMs: maxTtl ? parseDuration(maxTtl) : undefined,
  };
}

/**
 * The approvers that count toward the quorum: distinct people, and under separation of duties not the one who
 * asked for the standing approval (as a command's requester may not approve their own command).
 */
export function approversCounted(grant: StandingGrant, rules: StandingPolicy): string[] {
  const people = [...new Set(grant.approvals.map((a) => a.approver))];
  return rules.separationOfDuties ? people.filter((p) => p !== grant.created_by) : people;
}

/**
 * Why today's policy keeps a standing approval from approving anything (undefined: it does not): the project turned
 * them off, or it stands longer than `standing_max_ttl` now allows (until revoked, or set before the limit was).
 */
export function policyHold(grant: StandingGrant, rules: StandingPolicy): string | undefined {
  if (!rules.allowed) return 'this project\'s policy does not allow standing approvals';
  if (rules.maxTtlMs === undefined) return undefined;
  const life = grant.expires_at === undefined ? Infinity : Date.parse(grant.expires_at) - Date.parse(grant.created_at);
  return life > rules.maxTtlMs ? `it stands longer than this project's policy allows (${rules.maxTtl ?? ''})` : undefined;
}

/** Its state now: revoked and expired are final; otherwise active once the quorum of today's policy is met. */
export function standingStatus(grant: StandingGrant, revoked: boolean, rules: StandingPolicy, now: Date): StandingStatus {
  if (revoked) return 'revoked';
  if (grant.expires_at !== undefined && grant.expires_at <= now.toISOString()) return 'expired';
  return approversCounted(grant, rules).length >= rules.quorum ? 'active' : 'pending';
}
