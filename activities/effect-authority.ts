import { Context } from '@temporalio/activity';
import type { Agent } from '../agents/agent.js';
import type { AgentRegistry } from '../agents/registry.js';
import { EFFECT_REFUSALS, RunAgentInput, workflowIdFor, type EffectRefusalCode, type SignedStandingGrant } from '../contracts/index.js';
import { maxRisk } from '../contracts/risk-rank.js';
import type { Logger } from '../infra/logger.js';
import type { ApprovalUses } from '../infra/store/approval-uses.js';
import type { AuditLog } from '../infra/store/audit-log.js';
import type { DecisionSeal } from '../infra/trust/decision-seal.js';
import { actionDigest } from './action-digest.js';
import { recheckStanding, type StandingDeps } from './policy/standing-lookup.js';
import { refuseEffect, schedulingExecution } from './effect-refusal.js';
import { approvalRequirements, evaluatePolicy } from './policy/evaluate-policy.js';
import type { PolicyStore } from '../infra/files/policy-store.js';
import { tenantPolicy } from './policy/tenant-policy.js';
import { resolveAction } from './resolve-action.js';

export interface EffectAuthorityDeps {
  agents: AgentRegistry;
  policies: PolicyStore;
  seal: DecisionSeal;
  uses: ApprovalUses;
  /** Standing approvals, read live where the effect happens. */
  standing: StandingDeps;
  audit: AuditLog;
  logger: Logger;
}

/** A step an agent activity may run: the input as checked, and the agent with its validated params. */
export interface AuthorizedStep {
  input: RunAgentInput;
  agent: Agent;
  params: unknown;
}

/**
 * The check where the effect happens. An agent activity can be scheduled by anyone who reaches Temporal (a rogue
 * worker's workflow on its own task queue, a reset run, a shadow workflow), so before an agent is called:
 *
 * - the step must be the command of the execution Temporal says scheduled it (the activity's own context, not a
 *   field of its input);
 * - its risk is assessed again here, from the action, the agent's declaration and the tenant's policy, never read
 *   from the input; a RED step needs an approval;
 * - an approval is the API-signed decisions themselves, checked here: proof, that workflow, that ask, exactly this
 *   action's digest, an approver's role, the policy's quorum of distinct approvers; or a standing approval, read
 *   again here as NEXUS keeps it now (signed, not revoked, not expired, covering exactly this action, its quorum
 *   met under today's policy): the copy the step carries names it, nothing more;
 * - and it acts once: the first execution (run and activity) to bring it owns it, so a retry of that activity
 *   continues while a reset, a second run or a copied input is refused.
 *
 * Every refusal is final, audited and logged; an approval's first use is audited once.
 */
export function createEffectAuthority(deps: EffectAuthorityDeps) {
  const log = deps.logger.child({ module: 'effect-authority' });

  return async function authorizeStep(raw: unknown): Promise<AuthorizedStep> {
    const execution = schedulingExecution();
    const claimed = (raw ?? {}) as { agent?: unknown; correlation_id?: unknown; approval?: { ask_id?: unknown } };
    const refuse = (code: EffectRefusalCode, message: string): Promise<never> => refuseEffect({ audit: deps.audit, logger: log }, code, message, {
      ...(typeof claimed.agent === 'string' ? { agent: claimed.agent } : {}),
      ...(typeof claimed.approval?.ask_id === 'string' ? { ask_id: claimed.approval.ask_id } : {}),
      ...(typeof claimed.correlation_id === 'string' ? { correlation_id: claimed.correlation_id } : {}),
    });

    const parsed = RunAgentInput.safeParse(raw);
    if (!parsed.success) return refuse(EFFECT_REFUSALS.foreign, 'the step is not one NEXUS scheduled (malformed input)');
    const input = parsed.data;
    if (input.workflow_id !== execution.workflow_id || workflowIdFor(input.tenant, input.command_id) !== execution.workflow_id) {
      return refuse(EFFECT_REFUSALS.foreign, 'the step names another command than the workflow that scheduled it');
    }
    if (input.report_run !== undefined && input.report_run !== execution.run_id) {
      return refuse(EFFECT_REFUSALS.foreign, 'the step\'s reports name another run than the one that scheduled it');
    }
    const { agent, params } = await resolveAction(deps.agents, input);
    const policy = await tenantPolicy(deps.policies, input.tenant);
    const action = { agent: input.agent, params: input.params };
    const risk = maxRisk(deps.agents.declaredRisk(agent, params), evaluatePolicy(policy, action).risk);
    const { approval } = input;
    if (!approval) {
      if (risk === 'RED') return refuse(EFFECT_REFUSALS.unapproved, `${agent.name} is RED for this action and no approval came with it`);
      return { input, agent, params };
    }

    // Whatever the risk, an approval that comes along must hold: a step that carries one was asked about.
    const digest = actionDigest(action);
    const approvers = new Set<string>();
    let standing: SignedStandingGrant | undefined;
    if ('standing' in approval) {
      const checked = await recheckStanding(deps.standing, approval.standing, { tenant: input.tenant, action, policy, now: new Date() });
      if (!checked.ok) return refuse(EFFECT_REFUSALS.approvalInvalid, checked.message);
      standing = checked.signed;
      for (const a of standing.grant.approvals) approvers.add(a.approver);
    }
    for (const decision of 'decisions' in approval ? approval.decisions : []) {
      const verdict = deps.seal.verify(decision, { workflow_id: execution.workflow_id, ask_id: approval.ask_id }, new Date(), 'any');
      if (!verdict.ok) return refuse(EFFECT_REFUSALS.approvalInvalid, `an approval does not hold (${verdict.code})`);
      if (decision.decision !== 'approve' || decision.params !== undefined) return refuse(EFFECT_REFUSALS.approvalInvalid, 'a decision that came with the step is not a plain approval');
      if (decision.action_digest !== digest) return refuse(EFFECT_REFUSALS.approvalInvalid, 'an approval was given for another action than this one');
      if (decision.tenant.org_id !== input.tenant.org_id || decision.tenant.project_id !== input.tenant.project_id) return refuse(EFFECT_REFUSALS.approvalInvalid, 'an approval was given in another tenant');
      if (!decision.roles.includes('approver') && !decision.roles.includes('admin')) return refuse(EFFECT_REFUSALS.approvalInvalid, `${decision.decided_by} may not approve`);
      approvers.add(decision.decided_by);
    }
    const { quorum } = approvalRequirements(policy, agent.name);
    // A standing approval's quorum was checked with today's policy by recheckStanding (its creator may not count).
    if (!standing && approvers.size < quorum) return refuse(EFFECT_REFUSALS.approvalInvalid, `${approvers.size} of ${quorum} approvals needed came with the step`);

    const holder = `${execution.run_id}/${execution.activity_id}`;
    if (!(await deps.uses.claim(input.tenant, approval.ask_id, holder))) return refuse(EFFECT_REFUSALS.approvalUsed, 'this approval has already run its action in another execution');
    await deps.audit.appendOnce(input.tenant.org_id, `effect:${approval.ask_id}:${holder}`, {
      event: 'effect_authorized',
      activity: Context.current().info.activityType,
      agent: agent.name,
      ...execution,
      ask_id: approval.ask_id,
      approvers: [...approvers].join(', '),
      ...(standing ? { standing_approval_id: standing.grant.standing_approval_id } : {}),
      correlation_id: input.correlation_id,
      project_id: input.tenant.project_id,
    });
    // Once per ask that acted, however often this activity is retried.
    if (standing) await deps.standing.store.countUse(input.tenant, standing, approval.ask_id);
    return { input, agent, params };
  };
}

export type AuthorizeStep = ReturnType<typeof createEffectAuthority>;
