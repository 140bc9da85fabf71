import type { DecisionSeal } from '../infra/trust/decision-seal.js';
import { SECURITY_LOG, type AuditLog } from '../infra/store/audit-log.js';
import type { RefusalBudget } from '../infra/store/refusal-budget.js';
import { commandOfWorkflowId, type CommandInput, type DecisionVerdict } from '../contracts/index.js';
import { schedulingExecution } from './effect-refusal.js';
import type { Logger } from '../infra/logger.js';

export interface VerifyDecisionInput {
  /** The update's argument exactly as it arrived: unknown until verified. */
  decision: unknown;
  command: Pick<CommandInput, 'workflow_id' | 'correlation_id' | 'tenant'>;
  ask_id: string;
}

/**
 * Refused decisions of one workflow, and of one org, per minute that are audited one by one; past either, one
 * `refusals_limited` entry and a `refusals_summary` with the count. Anyone who reaches Temporal can send updates.
 */
export interface DecisionRefusalBudgets {
  perWorkflow: RefusalBudget;
  perOrg: RefusalBudget;
}

/**
 * The worker's check that a decision was authorized by the NEXUS API (a validator cannot do I/O and must not hold
 * the key). Every verdict is audited before it is returned (refusals within their budget, then counted), so an
 * accepted decision is never unaudited and a forged one sent straight to Temporal leaves a trace in its org's log.
 */
export function createVerifyDecision(deps: { seal: DecisionSeal; audit: AuditLog; refusals: DecisionRefusalBudgets; logger: Logger }) {
  return async function verifyDecision(input: VerifyDecisionInput): Promise<DecisionVerdict> {
    const { command } = input;
    // The proof must name the workflow that really asks, as Temporal reports it: a shadow workflow that claims
    // another command's id in its input gets nothing out of that command's decisions, nor audits into its org.
    const { workflow_id: real } = schedulingExecution();
    const realCommand = commandOfWorkflowId(real);
    const verdict = deps.seal.verify(input.decision, { workflow_id: real, ask_id: input.ask_id });
    const claimed = (input.decision ?? {}) as { decided_by?: unknown; decision?: unknown };
    const org = realCommand?.tenant.org_id ?? SECURITY_LOG;
    if (!verdict.ok && !(await withinBudget(deps.refusals, org, real))) {
      deps.logger.debug({ correlation_id: command.correlation_id, ask_id: input.ask_id, code: verdict.code }, 'decision refused; over the audit budget, counted only');
      return verdict;
    }
    await deps.audit.appendStrict(org, {
      event: verdict.ok ? 'decision_verified' : 'decision_refused',
      principal: String(claimed.decided_by ?? 'unknown').slice(0, 200),
      principal_kind: 'proof',
      decision: String(claimed.decision ?? 'unknown').slice(0, 16),
      ask_id: input.ask_id,
      workflow_id: real,
      correlation_id: command.correlation_id,
      project_id: realCommand?.tenant.project_id ?? 'unknown',
      ...(verdict.ok ? {} : { code: verdict.code }),
    });
    if (!verdict.ok) {
      deps.logger.warn({ correlation_id: command.correlation_id, ask_id: input.ask_id, code: verdict.code }, 'decision refused: no valid NEXUS proof');
    }
    return verdict;
  };
}

/** Both budgets are spent (each counts every refusal); the entry is written while neither is exhausted. */
async function withinBudget(budgets: DecisionRefusalBudgets, org: string, workflowId: string): Promise<boolean> {
  const spent = await Promise.all([
    budgets.perWorkflow.spend({ key: `decisions-wf:${workflowId}`, org, principal: workflowId, principal_kind: 'workflow' }),
    budgets.perOrg.spend({ key: `decisions-org:${org}`, org, principal: org, principal_kind: 'org' }),
  ]);
  return spent.every((s) => s === 'write');
}
