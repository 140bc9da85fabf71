import type { Action } from '../contracts/index.js';

export interface RunAgentInput extends Action {
  workflow_id: string;
  correlation_id: string;
  /** Stable across retries of this activity: the agent hands it to the outside world. */
  idempotency_key: string;
}

/** ApplicationFailure types the activities raise; the workflow turns them into task_failed codes. */
export const ACTIVITY_FAILURES = {
  unknownAgent: 'unknown_agent',
  invalidParams: 'invalid_params',
  llmUnavailable: 'llm_unavailable',
  llmError: 'llm_error',
  planInvalid: 'plan_invalid',
} as const;
