import type { AgentPreview } from '../agents/agent.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { Action, ActionAssessment, Report, Tenant } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import type { LlmRouter } from '../llm/llm-router.js';
import type { ReportPublisher } from '../messaging/report-publisher.js';
import { evaluatePolicy } from '../policy/evaluate-policy.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { actionDigest } from './action-digest.js';
import { createPlanInstruction } from './plan-instruction.js';
import { resolveAction } from './resolve-action.js';
import { createRunAgent } from './run-agent.js';

export interface ActivityDeps {
  publisher: ReportPublisher;
  agents: AgentRegistry;
  logger: Logger;
  policies: PolicyStore;
  llm: LlmRouter;
  planAttempts: number;
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
      const preview: AgentPreview = agent.preview
        ? await agent.preview(params, { tenant, logger: log })
        : agent.summarize?.(params) ?? { title: `Run ${agent.name}`, description: agent.description };
      // Policy is read here, on the server, every time: neither the client nor the model can talk it down.
      const verdict = evaluatePolicy(await policies.forTenant(tenant), action);
      return {
        declared_risk: agents.declaredRisk(agent, params),
        policy_risk: verdict.risk,
        policy_reasons: verdict.reasons,
        action_digest: actionDigest(action),
        title: preview.title,
        description: preview.description,
        reports_progress: agent.reportsProgress === true,
        ...(preview.details ? { preview: preview.details } : {}),
      };
    },

    planInstruction: createPlanInstruction({ ...deps, logger: log }),
    runAgent: createRunAgent({ ...deps, logger: log }),
  };
}
