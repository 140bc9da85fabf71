import type { Action, RiskPolicy, SignedStandingGrant, Tenant } from '../../contracts/index.js';
import type { StandingApprovals } from '../../infra/store/standing-approvals.js';
import type { StandingSeal } from '../../infra/trust/standing-seal.js';
import { standingRefusal } from './standing-rules.js';

export interface StandingDeps {
  store: StandingApprovals;
  seal: StandingSeal;
}

interface Occasion {
  tenant: Tenant;
  action: Action;
  policy: RiskPolicy;
  now: Date;
}

/**
 * The standing approval that may approve this action now, if any: signed by NEXUS, live, covering exactly this
 * action, its quorum met under today's policy, and none of `excluded` among its people. One for an exact action
 * comes before one for a pattern, then the oldest; a record whose signature fails is skipped as if absent.
 */
export async function findStanding(deps: StandingDeps, { excluded, ...occasion }: Occasion & { excluded: string[] }): Promise<SignedStandingGrant | undefined> {
  const candidates = (await deps.store.list(occasion.tenant)).filter((stored) => {
    const grant = deps.seal.verify(stored.signed);
    return grant !== undefined && standingRefusal(grant, { ...occasion, revoked: stored.revoked !== undefined, excluded }) === undefined;
  });
  return (candidates.find((s) => 'action_digest' in s.signed.grant.match) ?? candidates[0])?.signed;
}

/**
 * The check where the effect happens: the grant a step carries names a standing approval, and that approval, as
 * NEXUS keeps it now (revoked a moment ago counts), must still approve this action. The carried copy proves nothing
 * but its id. Answers the live grant, or why not.
 */
export async function recheckStanding(deps: StandingDeps, carried: unknown, occasion: Occasion): Promise<{ ok: true; signed: SignedStandingGrant } | { ok: false; message: string }> {
  const claimed = deps.seal.verify(carried);
  if (!claimed) return { ok: false, message: 'the standing approval that came with the step is not one NEXUS signed' };
  const live = await deps.store.read(occasion.tenant, claimed.standing_approval_id);
  const grant = live ? deps.seal.verify(live.signed) : undefined;
  if (!live || !grant) return { ok: false, message: `standing approval ${claimed.standing_approval_id} is not kept by NEXUS (any more)` };
  const refusal = standingRefusal(grant, { ...occasion, revoked: live.revoked !== undefined, excluded: [] });
  if (refusal) return { ok: false, message: `standing approval ${grant.standing_approval_id} does not approve this step: ${refusal}` };
  return { ok: true, signed: live.signed };
}
