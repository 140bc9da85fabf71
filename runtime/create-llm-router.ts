import type { Config } from './config/load-config.js';
import type { Logger } from '../infra/logger.js';
import { AnthropicProvider } from '../infra/llm/anthropic-provider.js';
import { LlmRouter } from '../infra/llm/llm-router.js';
import type { LlmProvider } from '../infra/llm/llm-types.js';
import { OpenAiProvider } from '../infra/llm/openai-provider.js';

/** Builds the providers that have a key, in primary-then-fallback order. */
export function createLlmRouter(llm: Config['llm'], logger: Logger): LlmRouter {
  const providers = llm.providers.map((name): LlmProvider => {
    switch (name) {
      case 'anthropic':
        return new AnthropicProvider({ apiKey: llm.anthropic.apiKey ?? '', model: llm.anthropic.model, baseUrl: llm.anthropic.baseUrl, timeoutMs: llm.timeoutMs });
      case 'openai':
        return new OpenAiProvider({ name, apiKey: llm.openai.apiKey ?? '', model: llm.openai.model, baseUrl: llm.openai.baseUrl, timeoutMs: llm.timeoutMs });
      case 'gemini':
        return new OpenAiProvider({ name, apiKey: llm.gemini.apiKey ?? '', model: llm.gemini.model, baseUrl: llm.gemini.baseUrl, timeoutMs: llm.timeoutMs });
    }
  });
  return new LlmRouter(providers, logger.child({ module: 'llm' }));
}
