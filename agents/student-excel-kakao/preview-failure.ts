import { ApplicationFailure } from '@temporalio/common';
import { AgentError } from '../agent-error.js';

/**
 * The preview runs in `assessAction`, which (unlike `runAgent`) does not turn an AgentError into a typed failure, so
 * a missing file would be retried forever. A final refusal is made non-retryable here, with the same stable code.
 */
export function previewFailure(err: unknown): unknown {
  if (!(err instanceof AgentError)) return err;
  return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, details: [{ retryable: err.retryable }] });
}
