import type { DecisionSeal } from '../infra/trust/decision-seal.js';
import type { AuditLog } from '../infra/store/audit-log.js';
import type { CommandInput, DecisionVerdict } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';

export interface VerifyDecisionInput {
  /** The update's argument exactly as it arrived: unknown until verified. */
  decision: unknown;
  command: Pick<CommandInput, 'workflow_id' | 'correlation_id' | 'tenant'>;
  ask_id: string;
}

/**
 * The worker's check that a decision was authorized by the NEXUS API (a validator cannot do I/O and must not hold
 * the key). Every verdict is audited before it is returned, so an accepted decision is never unaudited and a
 * forged one sent straight to Temporal leaves a trace in its org's log.
 */
export function createVerifyDecision(deps: { seal: DecisionSeal; audit: AuditLog; logger: Logger }) {
  return async function verifyDecision(input: VerifyDecisionInput): Promise<DecisionVerdict> {
    const { command } = input;
    const verdict = deps.seal.verify(input.decision, { workflow_id: command.workflow_id, ask_id: input.ask_id });
    const claimed = (input.decision ?? {}) as { decided_by?: unknown; decision?: unknown };
    await deps.audit.appendStrict(command.tenant.org_id, {
      event: verdict.ok ? 'decision_verified' : 'decision_refused',
      principal: String(claimed.decided_by ?? 'unknown').slice(0, 200),
      principal_kind: 'proof',
      decision: String(claimed.decision ?? 'unknown').slice(0, 16),
      ask_id: input.ask_id,
      workflow_id: command.workflow_id,
      correlation_id: command.correlation_id,
      project_id: command.tenant.project_id,
      ...(verdict.ok ? {} : { code: verdict.code }),
    });
    if (!verdict.ok) {
      deps.logger.warn({ correlation_id: command.correlation_id, ask_id: input.ask_id, code: verdict.code }, 'decision refused: no valid NEXUS proof');
    }
    return verdict;
  };
}
