import type { Action, Tenant } from '../contracts/index.js';

export interface RunAgentInput extends Action {
  workflow_id: string;
  correlation_id: string;
  command_id: string;
  tenant: Tenant;
  /** Stable across retries of this activity: the agent hands it to the outside world. */
  idempotency_key: string;
  /** The workflow reserved seq numbers [progress_seq_base, +1000) for this step's task_progress reports (-1: none). */
  progress_seq_base: number;
}

/** How many seq numbers the workflow sets aside for one step's progress reports. */
export const PROGRESS_SEQ_BLOCK = 1000;

/** ApplicationFailure types the activities raise; the workflow turns them into task_failed codes. */
export const ACTIVITY_FAILURES = {
  unknownAgent: 'unknown_agent',
  invalidParams: 'invalid_params',
  llmUnavailable: 'llm_unavailable',
  llmError: 'llm_error',
  planInvalid: 'plan_invalid',
} as const;
