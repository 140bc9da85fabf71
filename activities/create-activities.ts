import { Context, ApplicationFailure } from '@temporalio/activity';
import type { Action, ActionAssessment, Report } from '../contracts/index.js';
import type { AgentRegistry } from '../agents/registry.js';
import { AgentError } from '../agents/agent-error.js';
import type { Logger } from '../infra/logger.js';
import type { ReportPublisher } from '../messaging/report-publisher.js';
import { actionDigest } from './action-digest.js';
import { ACTIVITY_FAILURES, type RunAgentInput } from './activity-types.js';

export interface ActivityDeps {
  publisher: ReportPublisher;
  agents: AgentRegistry;
  logger: Logger;
}

/** Everything a workflow asks the world to do. Clients come in; nothing here opens a connection of its own. */
export function createActivities({ publisher, agents, logger }: ActivityDeps) {
  const log = logger.child({ module: 'activities' });

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

    async assessAction(action: Action): Promise<ActionAssessment> {
      const { agent, params } = resolve(action);
      const summary = agent.summarize(params);
      return {
        declared_risk: agents.declaredRisk(agent, params),
        action_digest: actionDigest(action),
        title: summary.title,
        description: summary.description,
      };
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
