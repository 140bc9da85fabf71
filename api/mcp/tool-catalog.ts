import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { InstructionCommand, MCP_INSTRUCTION_TOOL, McpCommandOutcome, type AgentDescriptor, type CommandRequest } from '../../contracts/index.js';

const InstructionArgs = InstructionCommand.pick({ text: true, attachments: true });
const OUTPUT_SCHEMA = z.toJSONSchema(McpCommandOutcome, { io: 'output' }) as Tool['outputSchema'];
const INSTRUCTION_SCHEMA = z.toJSONSchema(InstructionArgs, { io: 'input' }) as Tool['inputSchema'];

const RED_NOTE = 'RED: every call waits for a person to approve it in NEXUS (dashboard, approval link or channel) and returns their denial as an error.';

/**
 * The tools an MCP client sees: one per agent of the catalog (its params as the input schema, from the same zod
 * schemas as `GET /agents`) and `instruction`. An agent that happens to be named `instruction` is left out: the
 * name means the planner here.
 */
export function toolsOf(catalog: readonly AgentDescriptor[]): Tool[] {
  const agents = catalog.filter((a) => a.name !== MCP_INSTRUCTION_TOOL).map((agent): Tool => ({
    name: agent.name,
    description: agent.risk_level === 'RED' ? `${agent.description}\n\n${RED_NOTE}` : agent.description,
    inputSchema: { ...agent.params_schema, type: 'object' } as Tool['inputSchema'],
    outputSchema: OUTPUT_SCHEMA,
    annotations: { title: agent.name, readOnlyHint: false, destructiveHint: agent.risk_level === 'RED', openWorldHint: agent.risk_level !== 'GREEN' },
  }));
  const instruction: Tool = {
    name: MCP_INSTRUCTION_TOOL,
    description:
      'Tell NEXUS in plain language what to do. It plans the steps with the agents it has, assesses each, and asks people before any RED step runs; the call returns when the command has ended.',
    inputSchema: INSTRUCTION_SCHEMA,
    outputSchema: OUTPUT_SCHEMA,
    annotations: { title: 'instruction', readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  };
  return [instruction, ...agents];
}

/**
 * The command a tool call asks for, or the reason there is none. Params are not checked here: the command door
 * checks them against the agent's schema like any other command's.
 */
export function commandOf(tool: string, args: Record<string, unknown> | undefined, correlationId: string | undefined): CommandRequest | { invalid: z.ZodError } {
  const ids = correlationId !== undefined ? { correlation_id: correlationId } : {};
  if (tool === MCP_INSTRUCTION_TOOL) {
    const parsed = InstructionArgs.safeParse(args ?? {});
    return parsed.success ? { type: 'instruction', ...parsed.data, ...ids } : { invalid: parsed.error };
  }
  return { type: 'agent.run', agent: tool, params: args ?? {}, ...ids };
}
