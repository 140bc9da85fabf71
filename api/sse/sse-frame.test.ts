import { SSEStreamingApi } from 'hono/streaming';
import { describe, expect, it } from 'vitest';
import { sseFrame, type SseMessage } from './sse-frame.js';

/** What Hono's own writer puts on the wire for `message`: the frames written straight to sockets must match it. */
async function honoFrame(message: SseMessage): Promise<string> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const api = new SSEStreamingApi(writable, readable);
  const reader = api.responseReadable.getReader();
  const read = reader.read();
  await api.writeSSE(message);
  const { value } = await read;
  return new TextDecoder().decode(value);
}

describe('sseFrame', () => {
  it.each<[string, SseMessage]>([
    ['a report', { event: 'report', id: '1700000000000-0', data: '{"report_type":"task_completed"}' }],
    ['data over several lines (each its own data: line)', { event: 'error', data: 'first\nsecond\r\nthird\rfourth' }],
    ['no event name', { data: 'x' }],
    ['a retry hint', { event: 'end', data: '{}', retry: 500 }],
    ['empty data', { event: 'live', data: '' }],
  ])('writes %s exactly as Hono does', async (_name, message) => {
    expect(sseFrame(message)).toBe(await honoFrame(message));
  });

  it('refuses an id or event with a line break, which would forge fields', () => {
    expect(() => sseFrame({ event: 'report', id: '1-0\nevent: approve', data: '{}' })).toThrow(/id must not contain/);
    expect(() => sseFrame({ event: 'report\r', data: '{}' })).toThrow(/event must not contain/);
  });
});
