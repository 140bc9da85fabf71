import Anthropic from '@anthropic-ai/sdk';
import type { TranscriptMessage } from '../../contracts/index.js';
import { classifyLlmError } from './classify-error.js';
import type { ChatRequest, ChatResponse, LlmProvider } from './llm-types.js';

export interface AnthropicOptions {
  apiKey: string;
  model: string;
  baseUrl: string | undefined;
  timeoutMs: number;
}

/** Claude through `@anthropic-ai/sdk`, with the SDK's own retries off: the activity retry policy owns retries. */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic' as const;
  readonly model: string;
  private readonly client: Anthropic;

  constructor(options: AnthropicOptions) {
    this.model = options.model;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    });
  }

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    try {
      const response = await this.client.messages.create(
        {
          model: this.model,
          max_tokens: 4096,
          system: request.system,
          tools: request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema as Anthropic.Tool.InputSchema })),
          tool_choice: { type: 'any' },
          messages: request.messages.map(toAnthropic),
        },
        { signal },
      );
      return {
        text: response.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n'),
        toolCalls: response.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input }] : [])),
        usage: { input_tokens: response.usage.input_tokens, output_tokens: response.usage.output_tokens },
        provider: this.name,
        model: response.model || this.model,
      };
    } catch (err) {
      throw classifyLlmError(this.name, err);
    }
  }
}

function toAnthropic(message: TranscriptMessage): Anthropic.MessageParam {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: [
          ...(message.text ? [{ type: 'text' as const, text: message.text }] : []),
          ...message.tool_calls.map((c) => ({ type: 'tool_use' as const, id: c.id, name: c.name, input: c.input })),
        ],
      };
    case 'tool':
      return {
        role: 'user',
        content: message.results.map((r) => ({ type: 'tool_result' as const, tool_use_id: r.id, content: r.content, is_error: r.is_error })),
      };
  }
}
