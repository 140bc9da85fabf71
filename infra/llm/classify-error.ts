import type { LlmProviderName } from '../../contracts/index.js';
import { LlmCallError } from './llm-types.js';

/**
 * Both official SDKs throw errors with an HTTP `status` (absent for connection failures and timeouts).
 * 429, 5xx, timeouts and connection failures are worth another provider or a later attempt; a 4xx is not.
 */
export function classifyLlmError(provider: LlmProviderName, err: unknown): LlmCallError {
  if (err instanceof LlmCallError) return err;
  const status = (err as { status?: unknown }).status;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status !== 'number') return new LlmCallError(provider, undefined, `${provider}: ${message}`, true);
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  return new LlmCallError(provider, status, `${provider} answered ${status}: ${message}`, retryable);
}
