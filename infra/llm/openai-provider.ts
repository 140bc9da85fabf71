import OpenAI from 'openai';
import type { LlmProviderName, TranscriptMessage } from '../../contracts/index.js';
import { classifyLlmError } from './classify-error.js';
import type { ChatRequest, ChatResponse, LlmProvider } from './llm-types.js';

export interface OpenAiOptions {
  name: Extract<LlmProviderName, 'openai' | 'gemini'>;
  apiKey: string;
  model: string;
  baseUrl: string | undefined;
  timeoutMs: number;
}

/**
 * OpenAI's Chat Completions through the official `openai` SDK. Gemini is the same class pointed at Google's
 * OpenAI-compatible endpoint, which speaks this wire format including tool calls.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name: OpenAiOptions['name'];
  readonly model: string;
  private readonly client: OpenAI;

  constructor(options: OpenAiOptions) {
    this.name = options.name;
    this.model = options.model;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    });
  }

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    try {
      const response = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [{ role: 'system', content: request.system }, ...request.messages.flatMap(toOpenAi)],
          tools: request.tools.map((t) => ({
            type: 'function' as const,
            function: { name: t.name, description: t.description, parameters: t.inputSchema },
          })),
          tool_choice: 'required',
        },
        { signal },
      );
      const message = response.choices[0]?.message;
      return {
        text: message?.content ?? '',
        toolCalls: (message?.tool_calls ?? []).flatMap((c) =>
          c.type === 'function' ? [{ id: c.id, name: c.function.name, input: parseArguments(c.function.arguments) }] : [],
        ),
        usage: { input_tokens: response.usage?.prompt_tokens ?? 0, output_tokens: response.usage?.completion_tokens ?? 0 },
        provider: this.name,
        model: response.model || this.model,
      };
    } catch (err) {
      throw classifyLlmError(this.name, err);
    }
  }
}

/** Models sometimes send arguments that are not JSON; the planner answers that as a validation error. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { __unparseable_arguments: text };
  }
}

function toOpenAi(message: TranscriptMessage): OpenAI.ChatCompletionMessageParam[] {
  switch (message.role) {
    case 'user':
      return [{ role: 'user', content: message.content }];
    case 'assistant':
      return [{
        role: 'assistant',
        content: message.text || null,
        tool_calls: message.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) } })),
      }];
    case 'tool':
      return message.results.map((r) => ({ role: 'tool' as const, tool_call_id: r.id, content: r.is_error ? `ERROR: ${r.content}` : r.content }));
  }
}
