import type { AgentRegistry } from '../../agents/registry.js';
import type { Plan, PlanRequest, TranscriptMessage } from '../../contracts/index.js';
import type { LlmRouter } from '../../infra/llm/llm-router.js';
import type { ChatResponse } from '../../infra/llm/llm-types.js';
import { DESCRIBE_PLAN, DescribePlanInput, PLANNER_SYSTEM_PROMPT, plannerTools } from './planner-tools.js';

export class PlanInvalidError extends Error {
  readonly code = 'plan_invalid';
}

type Call = ChatResponse['toolCalls'][number];

/**
 * Turns an instruction into a validated plan with tool use. Every proposed call is checked against the agent's
 * zod schema; when any is wrong the whole response goes back to the model with the errors as tool results, a
 * bounded number of times.
 */
export class InstructionPlanner {
  constructor(
    private readonly llm: LlmRouter,
    private readonly agents: AgentRegistry,
    private readonly maxAttempts: number,
  ) {}

  async plan(request: PlanRequest, signal: AbortSignal, correlationId: string): Promise<Plan> {
    const { tools, agentByTool } = plannerTools(this.agents);
    const messages: TranscriptMessage[] = request.transcript ? [...request.transcript] : [{ role: 'user', content: request.text }];
    if (request.denial) messages.push(denialResults(messages, request.denial));
    const usage = { input_tokens: 0, output_tokens: 0, calls: 0 };
    let lastErrors: string[] = [];

    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const response = await this.llm.chat({ system: PLANNER_SYSTEM_PROMPT, messages, tools }, signal, correlationId);
      usage.input_tokens += response.usage.input_tokens;
      usage.output_tokens += response.usage.output_tokens;
      usage.calls += 1;
      messages.push({ role: 'assistant', text: response.text, tool_calls: response.toolCalls });

      const checked = response.toolCalls.map((call) => ({ call, error: this.check(call, agentByTool) }));
      const describe = response.toolCalls.find((c) => c.name === DESCRIBE_PLAN);
      const agentCalls = response.toolCalls.filter((c) => c.name !== DESCRIBE_PLAN);
      const problems = [
        ...checked.flatMap((c) => (c.error ? [`${c.call.name}: ${c.error}`] : [])),
        ...(describe ? [] : ['describe_plan was not called']),
        ...(agentCalls.length > 0 ? [] : ['no agent tool was called']),
      ];
      if (problems.length === 0 && describe) {
        const words = DescribePlanInput.parse(describe.input);
        return {
          calls: agentCalls.map((c) => ({ call_id: c.id, agent: agentByTool.get(c.name) ?? c.name, params: c.input as Record<string, unknown> })),
          ...words,
          usage: { provider: response.provider, model: response.model, ...usage },
          transcript: messages,
        };
      }
      lastErrors = problems;
      const advice = `Resend the complete plan (every agent call and describe_plan) with these problems fixed: ${problems.join('; ')}`;
      if (response.toolCalls.length === 0) messages.push({ role: 'user', content: advice });
      else {
        messages.push({
          role: 'tool',
          results: checked.map(({ call, error }) => ({ id: call.id, content: error ? `invalid: ${error}. ${advice}` : `not run yet. ${advice}`, is_error: Boolean(error) })),
        });
      }
    }
    throw new PlanInvalidError(`no valid plan after ${this.maxAttempts} attempts: ${lastErrors.join('; ')}`);
  }

  private check(call: Call, agentByTool: Map<string, string>): string | undefined {
    if (call.name === DESCRIBE_PLAN) {
      const parsed = DescribePlanInput.safeParse(call.input);
      return parsed.success ? undefined : formatIssues(parsed.error.issues);
    }
    const agentName = agentByTool.get(call.name);
    const agent = agentName ? this.agents.get(agentName) : undefined;
    if (!agent) return `there is no tool named ${call.name}`;
    const parsed = agent.params.safeParse(call.input);
    return parsed.success ? undefined : formatIssues(parsed.error.issues);
  }
}

function formatIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join(', ');
}

/** Every tool call of the denied plan gets a result: the denied one carries the approver's reason. */
function denialResults(messages: TranscriptMessage[], denial: NonNullable<PlanRequest['denial']>): TranscriptMessage {
  const last = [...messages].reverse().find((m) => m.role === 'assistant');
  const calls = last?.role === 'assistant' ? last.tool_calls : [];
  return {
    role: 'tool',
    results: calls.map((call) => ({
      id: call.id,
      content: call.id === denial.call_id
        ? `DENIED by the approver. Reason: ${denial.reason}. Nothing was run. Propose a revised plan.`
        : call.name === DESCRIBE_PLAN ? 'The plan was denied.' : 'Not run: the plan was denied.',
      is_error: call.id === denial.call_id,
    })),
  };
}
