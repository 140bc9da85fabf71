import { z } from 'zod';
import { MAX_ATTACHMENTS } from './attachment-limit.js';
import { ClientKey } from './ids.js';
import { RiskLevel } from './risk.js';
import { Tenant } from './tenant.js';

export const AgentName = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must be an agent name like echo');

const CommandBase = {
  command_id: ClientKey.optional(),
  correlation_id: ClientKey.optional(),
  risk_level: RiskLevel.optional().describe('a floor: the effective level is max(floor, policy)'),
};

export const AgentRunCommand = z.strictObject({
  ...CommandBase,
  type: z.literal('agent.run'),
  agent: AgentName,
  params: z.record(z.string(), z.unknown()).default({}),
});

export const InstructionCommand = z.strictObject({
  ...CommandBase,
  type: z.literal('instruction'),
  text: z.string().min(1).max(10_000),
  attachments: z
    .array(z.uuid({ version: 'v4' }))
    .min(1)
    .max(MAX_ATTACHMENTS)
    .refine((ids) => new Set(ids).size === ids.length, 'each file once')
    .optional()
    .describe('file_ids of files uploaded to this project (POST /files) that the instruction is about: the planner is told each one’s name, columns and row count, never its rows'),
});

/** The body of `POST /sidecar/command`. */
export const CommandRequest = z.discriminatedUnion('type', [AgentRunCommand, InstructionCommand]);
export type CommandRequest = z.infer<typeof CommandRequest>;
export type CommandType = CommandRequest['type'];

/** Timeouts and retry policy the workflow runs with; set by the API from its config, visible in the history. */
export const CommandSettings = z.object({
  ask_timeout_ms: z.number().int().positive(),
  agent_timeout_ms: z.number().int().positive(),
  agent_max_attempts: z.number().int().positive(),
  agent_retry_interval_ms: z.number().int().positive(),
  /** How many times a denied plan goes back to the model for a revision. */
  plan_revisions: z.number().int().nonnegative(),
  llm_timeout_ms: z.number().int().positive(),
  /** A remote agent that does not heartbeat this often is considered gone; the attempt is retried. */
  remote_heartbeat_timeout_ms: z.number().int().positive(),
  /** Local agents that heartbeat (progress reporters): silence this long means the worker died. */
  agent_heartbeat_timeout_ms: z.number().int().positive(),
  /** Telling approvers about an ask: the first retry's delay (doubling, at most a minute) and the attempts in all. */
  notify_retry_interval_ms: z.number().int().positive().optional(),
  notify_max_attempts: z.number().int().positive().optional(),
});
export type CommandSettings = z.infer<typeof CommandSettings>;

/** What the API hands to the workflow: ids resolved, tenant attached. */
export const CommandInput = z.object({
  tenant: Tenant,
  command_id: ClientKey,
  correlation_id: ClientKey,
  workflow_id: z.string(),
  request: CommandRequest,
  received_at: z.iso.datetime(),
  /** Who sent the command (token id, or the local user): separation of duties compares approvers with it. */
  requested_by: z.string().max(200).default('local'),
  settings: CommandSettings,
  /** Set when this command is a re-run (`POST /commands/{command_id}/rerun`): the command_id it repeats. */
  rerun_of: ClientKey.optional(),
  /** A re-run with changes: the names of the params whose value differs from the original's. */
  rerun_changes: z.array(z.string()).optional(),
});
export type CommandInput = z.infer<typeof CommandInput>;

/**
 * The 202 of a command, and of its cancellation: ids only. How it goes (or how it ends: cancelled, or done first)
 * is on the stream.
 */
export const CommandAccepted = z.object({
  status: z.literal('accepted'),
  correlation_id: ClientKey,
  command_id: ClientKey,
  workflow_id: z.string(),
});
export type CommandAccepted = z.infer<typeof CommandAccepted>;

/** `POST /commands/{command_id}/cancel`: why, for the audit log (who asked is the caller). */
export const CancelRequest = z.strictObject({
  reason: z.string().min(1).max(500).optional(),
});
export type CancelRequest = z.infer<typeof CancelRequest>;


/**
 * `POST /commands/{command_id}/rerun`: the ids of the new command (generated when absent; send a command_id to make
 * a retried re-run idempotent). The request itself is the original command's, read back from Temporal; `params` may
 * change some of its params (an outbox reviewed, then the same messages sent), and nothing else.
 */
export const RerunRequest = z.strictObject({
  command_id: ClientKey.optional(),
  correlation_id: ClientKey.optional(),
  params: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Params to change: each replaces the original’s value of that name (an agent.run only); the result is checked like a new command’s params'),
});
export type RerunRequest = z.infer<typeof RerunRequest>;
