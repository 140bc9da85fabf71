import type { z } from 'zod';
import type { Logger } from '../infra/logger.js';
import type { LlmRouter } from '../infra/llm/llm-router.js';
import type { RiskLevel, Tenant } from '../contracts/index.js';

/** A progress update an agent reports while it runs; `index` (0–999) keeps its report id stable across retries. */
export interface ProgressUpdate {
  index: number;
  message: string;
  done?: number;
  total?: number;
}

/** What an agent gets besides its params. */
export interface AgentContext {
  /** Stable across activity retries: send it to the outside world so a retry never acts twice. */
  idempotencyKey: string;
  correlationId: string;
  workflowId: string;
  tenant: Tenant;
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
  /** Records progress with Temporal; a retried attempt reads the last details back from `heartbeatDetails`. */
  heartbeat(details?: unknown): void;
  /** The details of the last heartbeat of a previous attempt: where to resume after a worker crash. */
  heartbeatDetails: unknown;
  /** Publishes a `task_progress` report. */
  progress(update: ProgressUpdate): Promise<void>;
  /** The LLM, when a provider is configured. */
  llm: LlmRouter | undefined;
}

export interface ActionSummary {
  title: string;
  description: string;
}

/** What the approver sees before anything happens: words, plus any structured details (counts, samples). */
export interface AgentPreview extends ActionSummary {
  details?: Record<string, unknown>;
}

export interface PreviewContext {
  tenant: Tenant;
  logger: Logger;
}

/** The one small interface every agent implements. */
export interface Agent<P extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** The description in other languages, by language (`ko`), for the dashboard; the planner reads `description`. */
  descriptions?: Readonly<Record<string, string>>;
  params: P;
  /**
   * Set when the agent calls `ctx.progress`: the workflow then sets aside seq numbers for its progress reports
   * (so seq stays strictly increasing; it is contiguous only for agents without progress).
   */
  reportsProgress?: boolean;
  /** Runs in another process, reached over RabbitMQ (`nexus.tasks`) and completed asynchronously. */
  remote?: boolean;
  /** Declared risk; may depend on the params. Policy can only raise it. */
  risk: RiskLevel | ((params: z.infer<P>) => RiskLevel);
  /** A quick one-line summary, for agents whose preview needs no I/O. */
  summarize?(params: z.infer<P>): ActionSummary;
  /** A preview that may look at data (read the file, validate the rows); used instead of `summarize` when given. */
  preview?(params: z.infer<P>, ctx: PreviewContext): Promise<AgentPreview>;
  run(params: z.infer<P>, ctx: AgentContext): Promise<unknown>;
}

/** Helper that keeps the params type flowing from the schema into `run`. */
export function defineAgent<P extends z.ZodType>(agent: Agent<P>): Agent<P> {
  return agent;
}
