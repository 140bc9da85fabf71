import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from './sse-parser.js';

function parse(chunks: string[]): { messages: SseMessage[]; retries: number[] } {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ message: (m) => messages.push(m), retry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.feed(chunk);
  return { messages, retries };
}

describe('SseParser', () => {
  it('assembles events split anywhere, skips heartbeats and reads retry hints', () => {
    const text = 'retry: 500\n\n: heartbeat\n\nevent: report\nid: 1-0\ndata: {"a":1}\n\nevent: gap\ndata: {"cursor":"0-1"}\n\n';
    for (let size = 1; size <= text.length; size += 7) {
      const chunks = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      expect(parse(chunks)).toEqual({
        messages: [{ event: 'report', id: '1-0', data: '{"a":1}' }, { event: 'gap', id: undefined, data: '{"cursor":"0-1"}' }],
        retries: [500],
      });
    }
  });

  it('handles CRLF split between chunks and multi-line data', () => {
    const { messages } = parse(['event: report\r', '\nid: 2-0\r\ndata: a\r\ndata: b\r', '\n\r', '\n']);
    expect(messages).toEqual([{ event: 'report', id: '2-0', data: 'a\nb' }]);
  });

  it('ignores an event that is cut off before its blank line', () => {
    expect(parse(['event: report\nid: 3-0\ndata: {}\n']).messages).toEqual([]);
  });
});
