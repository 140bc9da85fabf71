import { z } from 'zod';
import { AgentName } from './command.js';
import { ClientKey } from './ids.js';
import { RiskLevel } from './risk.js';

/**
 * The remote-agent protocol (docs/remote-agent-protocol.md): agents in any language, over RabbitMQ.
 * `nexus.agents` (fanout) carries announcements; `nexus.tasks` (topic, routing key = agent name) carries tasks;
 * replies go to the queue named in `reply_to`.
 */
export const AgentAnnouncement = z.object({
  name: AgentName,
  description: z.string().max(2000),
  params_schema: z.record(z.string(), z.unknown()),
  risk_level: RiskLevel,
  /** How long this announcement holds; agents re-announce well before it runs out. */
  ttl_seconds: z.number().int().min(5).max(3600),
  instance_id: z.string().max(200).optional(),
});
export type AgentAnnouncement = z.infer<typeof AgentAnnouncement>;

export const RemoteTask = z.object({
  task_token: z.string().min(1),
  agent: AgentName,
  params: z.record(z.string(), z.unknown()),
  correlation_id: ClientKey,
  workflow_id: z.string(),
  /** Stable across retries: an agent that already did this work must not do it again. */
  idempotency_key: z.string(),
  attempt: z.number().int().positive(),
  /** Heartbeat at least this often, or the task is considered lost and retried. */
  heartbeat_timeout_ms: z.number().int().positive(),
  reply_to: z.string().min(1),
});
export type RemoteTask = z.infer<typeof RemoteTask>;

export const RemoteReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('heartbeat'), task_token: z.string(), details: z.unknown().optional() }),
  z.object({ type: z.literal('result'), task_token: z.string(), result: z.unknown() }),
  z.object({
    type: z.literal('error'),
    task_token: z.string(),
    error: z.object({ code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), message: z.string(), retryable: z.boolean() }),
  }),
]);
export type RemoteReply = z.infer<typeof RemoteReply>;

export const REMOTE_EXCHANGES = { tasks: 'nexus.tasks', announcements: 'nexus.agents' } as const;
