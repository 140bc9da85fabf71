import { createServer, type Server } from 'node:http';
import { closeLocally, listenLocally } from './local-server.js';

export interface FakeToolCall {
  name: string;
  input: unknown;
}

export type FakeReply =
  | { toolCalls: FakeToolCall[]; text?: string; delayMs?: number }
  | { status: number; delayMs?: number };

export interface RecordedRequest {
  format: 'anthropic' | 'openai';
  body: any;
}

type Scripted = FakeReply | ((request: RecordedRequest) => FakeReply);

/**
 * A real local HTTP server speaking the Anthropic Messages API (`POST /v1/messages`) and OpenAI Chat
 * Completions (`POST /v1/chat/completions`) wire formats, tool use included, so the official SDKs talk to it
 * through their base URL. Replies are scripted per conversation, keyed by its first user message, so a workflow
 * still running from an earlier test can never take a later test's reply; an unscripted call is a 500.
 */
export class FakeLlmServer {
  readonly requests: RecordedRequest[] = [];
  private readonly scripts = new Map<string, Scripted[]>();
  private server: Server | undefined;
  private ids = 0;
  url = '';

  constructor(private readonly model: string) {}

  /** Replies, in order, for the conversation that starts with `instruction`. */
  reply(instruction: string, ...replies: Scripted[]): void {
    this.scripts.set(instruction, [...(this.scripts.get(instruction) ?? []), ...replies]);
  }

  requestsFor(instruction: string): RecordedRequest[] {
    return this.requests.filter((r) => firstUserText(r) === instruction);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const format = req.url?.endsWith('/messages') ? 'anthropic' : 'openai';
        const recorded: RecordedRequest = { format, body: raw ? JSON.parse(raw) : undefined };
        this.requests.push(recorded);
        const next = this.scripts.get(firstUserText(recorded) ?? '')?.shift();
        const reply = typeof next === 'function' ? next(recorded) : next ?? { status: 500 };
        const send = () => {
          if (res.destroyed) return;
          if ('status' in reply) {
            res.writeHead(reply.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(format === 'anthropic'
              ? { type: 'error', error: { type: reply.status === 429 ? 'rate_limit_error' : 'api_error', message: `scripted ${reply.status}` } }
              : { error: { message: `scripted ${reply.status}`, type: 'server_error' } }));
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(format === 'anthropic' ? this.anthropicBody(reply) : this.openAiBody(reply)));
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
    this.url = await listenLocally(this.server);
    return this.url;
  }

  stop(): Promise<void> {
    return closeLocally(this.server);
  }

  private anthropicBody(reply: Extract<FakeReply, { toolCalls: FakeToolCall[] }>) {
    return {
      id: `msg_${++this.ids}`,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [
        ...(reply.text ? [{ type: 'text', text: reply.text }] : []),
        ...reply.toolCalls.map((c) => ({ type: 'tool_use', id: `toolu_${++this.ids}`, name: c.name, input: c.input })),
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 20 },
    };
  }

  private openAiBody(reply: Extract<FakeReply, { toolCalls: FakeToolCall[] }>) {
    return {
      id: `chatcmpl-${++this.ids}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: this.model,
      choices: [{
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: reply.text ?? null,
          tool_calls: reply.toolCalls.map((c) => ({ id: `call_${++this.ids}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } })),
        },
      }],
      usage: { prompt_tokens: 80, completion_tokens: 15, total_tokens: 95 },
    };
  }
}

/** The instruction a conversation starts with: its first user message up to a blank line (after which NEXUS describes attached files). */
function firstUserText(request: RecordedRequest): string | undefined {
  const first = (request.body?.messages as Array<{ role: string; content: unknown }> | undefined)?.find((m) => m.role === 'user');
  return typeof first?.content === 'string' ? first.content.split('\n\n')[0] : undefined;
}
