/** One server-sent event, as the EventSource spec assembles it from `event:`/`id:`/`data:` lines. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

export interface SseSink {
  message(msg: SseMessage): void;
  retry(ms: number): void;
  /** Comment lines (the server's heartbeats); the dashboard ignores them, tests count them. */
  comment?(text: string): void;
}

/**
 * Incremental `text/event-stream` parser (the WHATWG algorithm, minus the parts NEXUS never sends). Chunks may end
 * anywhere, even inside a line. The one parser of the project: the dashboard, the tests' SSE client and the bench.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private id: string | undefined;
  private data: string[] = [];

  constructor(private readonly sink: SseSink) {}

  feed(chunk: string): void {
    let text = this.buffer + chunk;
    // A trailing `\r` may be the first half of `\r\n`: keep it for the next chunk.
    const held = text.endsWith('\r') ? '\r' : '';
    if (held) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    this.buffer = (lines.pop() ?? '') + held;
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return this.sink.comment?.(line.slice(1).trim());
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.sink.retry(Number(value));
  }

  private dispatch(): void {
    if (this.data.length > 0) {
      this.sink.message({ event: this.event || 'message', id: this.id, data: this.data.join('\n') });
    }
    this.event = '';
    this.id = undefined;
    this.data = [];
  }
}
