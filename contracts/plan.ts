import { z } from 'zod';
import { Action } from './ask.js';
import { RiskLevel } from './risk.js';
import { Tenant } from './tenant.js';

export const LlmProviderName = z.enum(['anthropic', 'openai', 'gemini']);
export type LlmProviderName = z.infer<typeof LlmProviderName>;

/** Who planned, with what, at what cost: goes into the report payload. */
export const LlmUsage = z.object({
  provider: LlmProviderName,
  model: z.string(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  calls: z.number().int().positive(),
});
export type LlmUsage = z.infer<typeof LlmUsage>;

/** A tool call, as the model made it; kept so a denial can be answered as that call's tool result. */
export const TranscriptToolCall = z.object({ id: z.string(), name: z.string(), input: z.unknown() });
export const TranscriptMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), text: z.string(), tool_calls: z.array(TranscriptToolCall) }),
  z.object({
    role: z.literal('tool'),
    results: z.array(z.object({ id: z.string(), content: z.string(), is_error: z.boolean() })),
  }),
]);
export type TranscriptMessage = z.infer<typeof TranscriptMessage>;

/** What the LLM turned an instruction into: agent calls plus words for the approver, in the instruction's language. */
export const Plan = z.object({
  calls: z.array(Action.extend({ call_id: z.string() })).min(1).max(10),
  title: z.string().min(1).max(200),
  description: z.string().min(1).max(4000),
  language: z.string().min(2).max(35),
  suggested_risk: RiskLevel,
  usage: LlmUsage,
  transcript: z.array(TranscriptMessage),
});
export type Plan = z.infer<typeof Plan>;

export const PlanRequest = z.object({
  text: z.string(),
  /** The conversation so far, when the approver denied a plan and the model is asked for another. */
  transcript: z.array(TranscriptMessage).optional(),
  /** The denied call and the approver's reason, answered to the model as that call's tool result. */
  denial: z.object({ call_id: z.string(), reason: z.string() }).optional(),
  /** Files the instruction came with: described to the model (name, columns, rows), read in the command's tenant. */
  attachments: z.object({ tenant: Tenant, file_ids: z.array(z.string()).min(1) }).optional(),
});
export type PlanRequest = z.infer<typeof PlanRequest>;
