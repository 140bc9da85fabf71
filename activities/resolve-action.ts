import { ApplicationFailure } from '@temporalio/activity';
import type { Agent } from '../agents/agent.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { Action } from '../contracts/index.js';
import { ACTIVITY_FAILURES } from '../contracts/index.js';

/** Finds the agent and validates the params; both failures are final (a retry cannot fix them). */
export async function resolveAction(agents: AgentRegistry, action: Action): Promise<{ agent: Agent; params: unknown }> {
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
