import type { z } from 'zod';
import type { Logger } from '../infra/logger.js';
import type { RiskLevel } from '../contracts/index.js';

/** What an agent gets besides its params. */
export interface AgentContext {
  /** Stable across activity retries: send it to the outside world so a retry never acts twice. */
  idempotencyKey: string;
  correlationId: string;
  workflowId: string;
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
  heartbeat(details?: unknown): void;
}

export interface ActionSummary {
  title: string;
  description: string;
}

/** The one small interface every agent implements. */
export interface Agent<P extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  params: P;
  /** Declared risk; may depend on the params. Policy can only raise it. */
  risk: RiskLevel | ((params: z.infer<P>) => RiskLevel);
  /** What the approver reads before anything happens. */
  summarize(params: z.infer<P>): ActionSummary;
  run(params: z.infer<P>, ctx: AgentContext): Promise<unknown>;
}

/** Helper that keeps the params type flowing from the schema into `run`. */
export function defineAgent<P extends z.ZodType>(agent: Agent<P>): Agent<P> {
  return agent;
}
