import { describe, expect, it } from 'vitest';
import { chunkOf } from '../api/sse/http-chunk.js';
import { sseFrame } from '../api/sse/sse-frame.js';
import { SseIdScanner } from './sse-id-scanner.js';

const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
const report = (id: string, data: object) => sseFrame({ event: 'report', id, data: JSON.stringify(data) });

/** A stream as the API writes it: heartbeat, live, then batches of reports, each write one HTTP chunk. */
const RESPONSE = Buffer.concat([
  Buffer.from(HEAD),
  chunkOf(': heartbeat\n\n'),
  chunkOf(sseFrame({ event: 'live', data: JSON.stringify({ last_id: '1700000000000-0' }) })),
  chunkOf(report('1765000000123-0', { note: 'id: 1-0 inside a value', lines: 'a\nid: 2-0' })),
  chunkOf(report('1765000000123-1', { summary: 'x'.repeat(300) }) + report('1765000000456-0', { n: 3 })),
  chunkOf(': heartbeat\n\n'),
  chunkOf(report('1765000000789-12', { n: 4 })),
]);
const EXPECTED = [
  ['1765000000123-0', 1765000000123],
  ['1765000000123-1', 1765000000123],
  ['1765000000456-0', 1765000000456],
  ['1765000000789-12', 1765000000789],
];

/** Pushes `response` in the given pieces through one reused buffer, as a socket's shared read buffer would. */
function scan(response: Buffer, cuts: number[]) {
  const ids: Array<[string, number]> = [];
  const failures: string[] = [];
  let lives = 0;
  const scanner = new SseIdScanner({ id: (id, ms) => ids.push([id, ms]), live: () => lives++, fail: (r) => failures.push(r) });
  const shared = Buffer.alloc(response.length);
  let from = 0;
  for (const to of [...cuts, response.length]) {
    const n = response.copy(shared, 0, from, to);
    scanner.push(shared.subarray(0, n));
    // Whatever the scanner kept must not be a view of the reused buffer.
    shared.fill('x');
    from = to;
  }
  return { ids, lives, failures };
}

describe('SseIdScanner', () => {
  it('finds every report id and the live event, not text that only looks like an id inside data', () => {
    expect(scan(RESPONSE, [])).toEqual({ ids: EXPECTED, lives: 1, failures: [] });
  });

  it('reads the same however the bytes are split into reads', () => {
    for (let cut = 1; cut < RESPONSE.length; cut++) {
      expect(scan(RESPONSE, [cut]), `cut at byte ${cut}`).toEqual({ ids: EXPECTED, lives: 1, failures: [] });
    }
    // Reads of every size from 1 to 80 bytes: a read that begins a line, one that ends one, one inside one.
    for (let size = 1; size <= 80; size++) {
      const cuts = Array.from({ length: Math.ceil(RESPONSE.length / size) - 1 }, (_, i) => (i + 1) * size);
      expect(scan(RESPONSE, cuts), `reads of ${size} bytes`).toEqual({ ids: EXPECTED, lives: 1, failures: [] });
    }
  });

  it('fails on an answer other than 200, with its status and body, and reads nothing after it', () => {
    const refused = Buffer.from('HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\r\n{"error":{"code":"rate_limited"}}');
    const result = scan(Buffer.concat([refused, chunkOf(report('1765000000123-0', {}))]), [20]);
    expect(result.ids).toEqual([]);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(/^answered HTTP\/1\.1 429 Too Many Requests: \{"error":\{"code":"rate_limited"\}\}/);
  });
});
