import { z } from 'zod';
import { AskId, Decision } from './ask.js';
import { ClientKey } from './ids.js';
import { TaskError } from './report.js';
import { RiskLevel } from './risk.js';
import { StandingApprovalId } from './standing-approval.js';

/** The MCP tool that sends a plain-language instruction; every other tool is an agent of the catalog. */
export const MCP_INSTRUCTION_TOOL = 'instruction';

/** Optional `_meta` of an MCP `tools/call`: the caller's correlation id, carried like a command's `correlation_id`. */
export const MCP_CORRELATION_META = 'nexus/correlation_id';

/** The people's word on an ask of the command, as the stream told it (`ask_resolved`). */
export const McpApproval = z.object({
  ask_id: AskId,
  decision: Decision,
  decided_by: z.string(),
  reason: z.string().optional(),
  standing_approval_id: StandingApprovalId.optional(),
  /** Closed undecided because another ask of its plan ended the plan (see `ask_resolved.withdrawn`). */
  withdrawn: z.boolean().optional(),
});

/**
 * What an MCP tool call answers once its command has ended (`structuredContent`, and as text): how it ended, its
 * ids, the result or why not, and every decision people took on the way. Read from the same report stream the
 * dashboard reads, never from the workflow directly.
 */
export const McpCommandOutcome = z.object({
  status: z.enum(['completed', 'failed', 'cancelled']),
  command_id: ClientKey,
  correlation_id: ClientKey,
  workflow_id: z.string(),
  result: z.unknown().optional().describe('What the agent returned (completed)'),
  risk_level: RiskLevel.optional().describe('The level the command ran at (completed)'),
  error: TaskError.optional().describe('Why it failed (failed)'),
  reason: z.string().optional().describe('Why it was cancelled: denied, expired or cancelled by a person (cancelled)'),
  approvals: z.array(McpApproval).describe('The decisions on its asks, in order; empty when nothing needed one'),
});
export type McpCommandOutcome = z.infer<typeof McpCommandOutcome>;
export type McpApproval = z.infer<typeof McpApproval>;
