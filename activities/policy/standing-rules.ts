import { canonicalJson, type Action, type RiskPolicy, type StandingGrant } from '../../contracts/index.js';
import { approversCounted, policyHold, standingPolicy, standingStatus } from '../../contracts/standing-rules.js';
import { actionDigest } from '../action-digest.js';
import { readPath } from './evaluate-policy.js';

/** Whether the grant covers this exact action: its digest, or every param it names holding exactly that value. */
export function standingCovers(grant: StandingGrant, action: Action): boolean {
  if (grant.agent !== action.agent) return false;
  const { match } = grant;
  if ('action_digest' in match) return actionDigest(action) === match.action_digest;
  return Object.entries(match.params).every(([path, value]) => {
    const actual = readPath(action.params, path);
    return actual !== undefined && canonicalJson(actual) === canonicalJson(value);
  });
}

/**
 * Why this grant may not approve this action now (undefined: it may). `excluded`: people who may not approve it —
 * the requester under separation of duties, the editor of an edited action: a grant any of them approved or asked
 * for does not stand in for the people the ask would go to.
 */
export function standingRefusal(
  grant: StandingGrant,
  { action, tenant, revoked, policy, now, excluded }: {
    action: Action; tenant: { org_id: string; project_id: string }; revoked: boolean; policy: RiskPolicy; now: Date; excluded: string[];
  },
): string | undefined {
  if (grant.tenant.org_id !== tenant.org_id || grant.tenant.project_id !== tenant.project_id) return 'it was given in another project';
  if (!standingCovers(grant, action)) return 'it does not cover this action';
  const rules = standingPolicy(policy, action.agent);
  const held = policyHold(grant, rules);
  if (held) return held;
  const status = standingStatus(grant, revoked, rules, now);
  if (status !== 'active') return status === 'pending' ? `it has ${approversCounted(grant, rules).length} of the ${rules.quorum} approvals the policy needs` : `it is ${status}`;
  const involved = new Set([grant.created_by, ...grant.approvals.map((a) => a.approver)]);
  const conflicted = excluded.find((person) => involved.has(person));
  if (conflicted !== undefined) return `${conflicted} may not approve this action, and took part in this standing approval`;
  return undefined;
}
