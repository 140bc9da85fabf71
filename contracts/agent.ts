import { z } from 'zod';
import { AgentName } from './command.js';
import { RiskLevel } from './risk.js';
import { ApprovalRequirements } from './policy.js';
import { SignedStandingGrant } from './standing-approval.js';

/** One entry of the agent catalog: reference data the dashboard may fetch. */
export const AgentDescriptor = z.object({
  name: AgentName,
  description: z.string(),
  descriptions: z.record(z.string(), z.string()).optional().describe('The description in other languages, by language (`ko`); a param’s is its schema’s `x-description-<language>`'),
  risk_level: RiskLevel,
  params_schema: z.record(z.string(), z.unknown()),
});
export type AgentDescriptor = z.infer<typeof AgentDescriptor>;

/** `POST /agents/{agent}/preview`: the params a command would carry, checked and previewed, nothing run. */
export const AgentPreviewRequest = z.strictObject({
  params: z.record(z.string(), z.unknown()).describe('The params of the `agent.run` command this would be'),
});
export type AgentPreviewRequest = z.infer<typeof AgentPreviewRequest>;

/** What an approver would be shown for those params: the same preview an ask carries, made now and for nobody. */
export const AgentPreviewAnswer = z.object({
  agent: AgentName,
  risk_level: RiskLevel.describe('The agent’s declared risk for these params; the tenant’s policy may still raise it'),
  title: z.string(),
  description: z.string(),
  details: z.record(z.string(), z.unknown()).optional().describe('The agent’s structured preview (recipients, invalid rows, sample messages)'),
});
export type AgentPreviewAnswer = z.infer<typeof AgentPreviewAnswer>;

/** What the workflow learns about an action before deciding whether to ask. */
export const ActionAssessment = z.object({
  declared_risk: RiskLevel,
  /** What the tenant's risk policy says about this exact action, with the rules that matched. */
  policy_risk: RiskLevel,
  policy_reasons: z.array(z.string()),
  action_digest: z.string(),
  title: z.string(),
  description: z.string(),
  /** Structured preview details from the agent (recipient counts, invalid rows, sample messages). */
  preview: z.record(z.string(), z.unknown()).optional(),
  reports_progress: z.boolean(),
  /** Runs in another process over RabbitMQ: the workflow uses the async-completion activity with heartbeats. */
  remote: z.boolean(),
  /** Quorum, separation of duties and the expiry chain, should this action need an approval. */
  approval: ApprovalRequirements,
  /**
   * A standing approval that covers this RED action for this command (live, signed, its quorum met under today's
   * policy, none of its approvers excluded): the action is approved without asking anyone.
   */
  standing: SignedStandingGrant.optional(),
});
export type ActionAssessment = z.infer<typeof ActionAssessment>;
