import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { TaskError } from '../contracts/index.js';

/** Turns an activity failure into the stable `{code, message, retryable}` of `task_failed`. */
export function toTaskError(err: unknown): TaskError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as { retryable?: boolean } | undefined;
    return {
      code: cause.type && /^[a-z][a-z0-9_]{0,63}$/.test(cause.type) ? cause.type : 'agent_failed',
      message: cause.message,
      retryable: details?.retryable ?? !cause.nonRetryable,
    };
  }
  if (err instanceof ActivityFailure && err.cause?.name === 'TimeoutFailure') {
    return { code: 'agent_timeout', message: 'the agent did not finish in time', retryable: true };
  }
  return { code: 'agent_failed', message: err instanceof Error ? err.message : String(err), retryable: true };
}
