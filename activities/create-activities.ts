import { Context, ApplicationFailure } from '@temporalio/activity';
import type { Action, ActionAssessment, Plan, PlanRequest, Report, Tenant } from '../contracts/index.js';
import type { AgentRegistry } from '../agents/registry.js';
import { AgentError } from '../agents/agent-error.js';
import type { Logger } from '../infra/logger.js';
import type { ReportPublisher } from '../messaging/report-publisher.js';
import { LlmCallError } from '../llm/llm-types.js';
import type { LlmRouter } from '../llm/llm-router.js';
import { InstructionPlanner, PlanInvalidError } from '../planning/instruction-planner.js';
import { evaluatePolicy } from '../policy/evaluate-policy.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { actionDigest } from './action-digest.js';
import { ACTIVITY_FAILURES, type RunAgentInput } from './activity-types.js';

export interface ActivityDeps {
  publisher: ReportPublisher;
  agents: AgentRegistry;
  logger: Logger;
  policies: PolicyStore;
  llm: LlmRouter;
  planAttempts: number;
}

/** Everything a workflow asks the world to do. Clients come in; nothing here opens a connection of its own. */
export function createActivities({ publisher, agents, logger, policies, llm, planAttempts }: ActivityDeps) {
  const log = logger.child({ module: 'activities' });
  const planner = new InstructionPlanner(llm, agents, planAttempts);

  function resolve(action: Action) {
    const agent = agents.get(action.agent);
    if (!agent) {
      throw ApplicationFailure.create({ type: ACTIVITY_FAILURES.unknownAgent, message: `no agent named ${action.agent}`, nonRetryable: true });
    }
    const parsed = agent.params.safeParse(action.params);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw ApplicationFailure.create({
        type: ACTIVITY_FAILURES.invalidParams,
        message: `params.${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`,
        nonRetryable: true,
      });
    }
    return { agent, params: parsed.data as unknown };
  }

  return {
    async publishReports(reports: Report[]): Promise<void> {
      await publisher.publish(reports);
      for (const r of reports) {
        log.debug({ correlation_id: r.correlation_id, report_id: r.report_id, report_type: r.report_type }, 'report published');
      }
    },

    async assessAction({ tenant, action }: { tenant: Tenant; action: Action }): Promise<ActionAssessment> {
      const { agent, params } = resolve(action);
      const summary = agent.summarize(params);
      // Policy is read here, on the server, every time: neither the client nor the model can talk it down.
      const verdict = evaluatePolicy(await policies.forTenant(tenant), action);
      return {
        declared_risk: agents.declaredRisk(agent, params),
        policy_risk: verdict.risk,
        policy_reasons: verdict.reasons,
        action_digest: actionDigest(action),
        title: summary.title,
        description: summary.description,
      };
    },

    async planInstruction(request: PlanRequest & { correlation_id: string }): Promise<Plan> {
      if (!llm.configured) {
        throw ApplicationFailure.create({
          type: ACTIVITY_FAILURES.llmUnavailable,
          message: 'plain-language instructions need an LLM provider; set ANTHROPIC_API_KEY (or OPENAI_API_KEY / GEMINI_API_KEY)',
          nonRetryable: true,
        });
      }
      const ctx = Context.current();
      try {
        const plan = await planner.plan(request, ctx.cancellationSignal, request.correlation_id);
        log.info({ correlation_id: request.correlation_id, provider: plan.usage.provider, model: plan.usage.model, calls: plan.calls.length }, 'plan ready');
        return plan;
      } catch (err) {
        if (err instanceof PlanInvalidError) {
          throw ApplicationFailure.create({ type: ACTIVITY_FAILURES.planInvalid, message: err.message, nonRetryable: true });
        }
        if (err instanceof LlmCallError) {
          // Retryable provider failures (429, 5xx, timeouts on every provider) are retried by the activity policy.
          throw ApplicationFailure.create({
            type: err.retryable ? ACTIVITY_FAILURES.llmUnavailable : ACTIVITY_FAILURES.llmError,
            message: err.message,
            nonRetryable: !err.retryable,
            details: [{ retryable: err.retryable }],
          });
        }
        throw err;
      }
    },

    async runAgent(input: RunAgentInput): Promise<unknown> {
      const ctx = Context.current();
      const { agent, params } = resolve(input);
      const agentLog = log.child({ correlation_id: input.correlation_id, workflow_id: input.workflow_id, agent: agent.name });
      agentLog.info({ attempt: ctx.info.attempt }, 'agent run started');
      try {
        const result = await agent.run(params, {
          idempotencyKey: input.idempotency_key,
          correlationId: input.correlation_id,
          workflowId: input.workflow_id,
          attempt: ctx.info.attempt,
          signal: ctx.cancellationSignal,
          logger: agentLog,
          heartbeat: (details) => ctx.heartbeat(details),
        });
        agentLog.info('agent run finished');
        return result ?? null;
      } catch (err) {
        if (err instanceof AgentError) {
          agentLog.warn({ code: err.code, retryable: err.retryable, attempt: ctx.info.attempt }, err.message);
          throw ApplicationFailure.create({
            type: err.code,
            message: err.message,
            nonRetryable: !err.retryable,
            details: [{ retryable: err.retryable }],
          });
        }
        agentLog.error({ err: (err as Error).message }, 'agent crashed');
        throw err;
      }
    },
  };
}
