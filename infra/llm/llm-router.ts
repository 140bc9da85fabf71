import type { Logger } from '../logger.js';
import { LlmCallError, type ChatRequest, type ChatResponse, type LlmProvider } from './llm-types.js';

/**
 * Tries the primary provider, then the fallbacks in order, moving on only for failures another provider might
 * not have (429, 5xx, timeouts, connection errors). When every provider failed that way the error is retryable
 * and the activity's retry policy decides when to try again.
 */
export class LlmRouter {
  constructor(
    readonly providers: readonly LlmProvider[],
    private readonly logger: Logger,
  ) {}

  get configured(): boolean {
    return this.providers.length > 0;
  }

  async chat(request: ChatRequest, signal: AbortSignal, correlationId: string): Promise<ChatResponse> {
    let last: LlmCallError | undefined;
    for (const provider of this.providers) {
      try {
        return await provider.chat(request, signal);
      } catch (err) {
        const error = err instanceof LlmCallError ? err : new LlmCallError(provider.name, undefined, String(err), true);
        this.logger.warn({ correlation_id: correlationId, provider: provider.name, status: error.status, retryable: error.retryable, err: error.message }, 'llm call failed');
        if (!error.retryable) throw error;
        last = error;
      }
    }
    throw last ?? new LlmCallError('anthropic', undefined, 'no LLM provider configured', false);
  }
}
