import { ApplicationFailure } from '@temporalio/activity';
import type { AgentPreview } from '../agents/agent.js';
import { AgentError } from '../agents/agent-error.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { Action, ActionAssessment, Report, Tenant } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import type { LlmRouter } from '../infra/llm/llm-router.js';
import type { ReportPublisher } from '../infra/messaging/report-publisher.js';
import { approvalRequirements, evaluatePolicy } from './policy/evaluate-policy.js';
import { PolicyError, type PolicyStore } from './policy/policy-store.js';
import { actionDigest } from './action-digest.js';
import { createPlanInstruction } from './plan-instruction.js';
import { resolveAction } from './resolve-action.js';
import { createRunAgent } from './run-agent.js';
import { createRunRemoteAgent } from './run-remote-agent.js';
import { createVerifyDecision } from './verify-decision.js';
import type { DecisionSeal } from '../infra/trust/decision-seal.js';
import type { AuditLog } from '../infra/store/audit-log.js';
import type { RemoteTaskPublisher } from '../agents/remote/remote-task-publisher.js';
import type { RemoteTopology } from '../agents/remote/remote-topology.js';

export interface ActivityDeps {
  publisher: ReportPublisher;
  agents: AgentRegistry;
  logger: Logger;
  policies: PolicyStore;
  llm: LlmRouter;
  planAttempts: number;
  /** Publishes tasks to remote agents; absent in processes that do not run remote agents. */
  remote?: RemoteTaskPublisher;
  remoteTopology: RemoteTopology;
  /** Verifies the API's proof on decisions; the verdicts go to the audit log. */
  seal: DecisionSeal;
  audit: AuditLog;
}

/** Everything a workflow asks the world to do. Clients come in; nothing here opens a connection of its own. */
export function createActivities(deps: ActivityDeps) {
  const log = deps.logger.child({ module: 'activities' });
  const { publisher, agents, policies } = deps;

  return {
    async publishReports(reports: Report[]): Promise<void> {
      await publisher.publish(reports);
      for (const r of reports) {
        log.debug({ correlation_id: r.correlation_id, report_id: r.report_id, report_type: r.report_type }, 'report published');
      }
    },

    async assessAction({ tenant, action }: { tenant: Tenant; action: Action }): Promise<ActionAssessment> {
      const { agent, params } = await resolveAction(agents, action);
      let preview: AgentPreview;
      try {
        preview = agent.preview
          ? await agent.preview(params, { tenant, logger: log })
          : agent.summarize?.(params) ?? { title: `Run ${agent.name}`, description: agent.description };
      } catch (err) {
        // A preview that cannot be made (missing file, unreadable sheet) is final, not a reason to retry forever.
        if (err instanceof AgentError) throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, details: [{ retryable: err.retryable }] });
        throw err;
      }
      // Policy is read here, on the server, every time: neither the client nor the model can talk it down.
      const policy = await policies.forTenant(tenant).catch((err: unknown) => {
        // A broken policy file fails the command with a clear code instead of retrying forever.
        if (err instanceof PolicyError) throw ApplicationFailure.create({ type: 'policy_invalid', message: err.message, nonRetryable: true });
        throw err;
      });
      const verdict = evaluatePolicy(policy, action);
      return {
        declared_risk: agents.declaredRisk(agent, params),
        policy_risk: verdict.risk,
        policy_reasons: verdict.reasons,
        action_digest: actionDigest(action),
        title: preview.title,
        description: preview.description,
        reports_progress: agent.reportsProgress === true,
        remote: agent.remote === true,
        approval: approvalRequirements(policy, action.agent),
        ...(preview.details ? { preview: preview.details } : {}),
      };
    },

    verifyDecision: createVerifyDecision({ seal: deps.seal, audit: deps.audit, logger: log }),
    planInstruction: createPlanInstruction({ ...deps, logger: log }),
    runAgent: createRunAgent({ ...deps, logger: log }),
    runRemoteAgent: createRunRemoteAgent({ agents, remote: deps.remote, topology: deps.remoteTopology, logger: log }),
  };
}
