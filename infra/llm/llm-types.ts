import type { LlmProviderName, TranscriptMessage } from '../../contracts/index.js';

export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface ChatRequest {
  system: string;
  messages: TranscriptMessage[];
  tools: ToolSpec[];
}

export interface ChatResponse {
  text: string;
  toolCalls: Array<{ id: string; name: string; input: unknown }>;
  usage: { input_tokens: number; output_tokens: number };
  provider: LlmProviderName;
  model: string;
}

/** One LLM vendor behind the smallest interface the planner needs: messages and tools in, tool calls out. */
export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse>;
}

/** Thrown by providers; `retryable` says whether another provider (or a later attempt) may succeed. */
export class LlmCallError extends Error {
  constructor(
    readonly provider: LlmProviderName,
    readonly status: number | undefined,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'LlmCallError';
  }
}
