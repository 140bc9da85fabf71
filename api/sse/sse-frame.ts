/** One server-sent event. */
export interface SseMessage {
  event?: string;
  id?: string;
  data: string;
  retry?: number;
}

/**
 * The bytes of one event, as Hono's `writeSSE` writes them (same field order, one `data:` line per line of data),
 * so a report's frame can be built once and written to every client. A line break in `event` or `id` would let a
 * value forge fields, so it is refused.
 */
export function sseFrame(message: SseMessage): string {
  for (const key of ['event', 'id'] as const) {
    const value = message[key];
    if (value !== undefined && /[\r\n]/.test(value)) throw new Error(`${key} must not contain "\\r" or "\\n"`);
  }
  const lines: string[] = [];
  if (message.event) lines.push(`event: ${message.event}`);
  for (const line of message.data.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  if (message.id !== undefined) lines.push(`id: ${message.id}`);
  if (message.retry !== undefined) lines.push(`retry: ${message.retry}`);
  return `${lines.join('\n')}\n\n`;
}
