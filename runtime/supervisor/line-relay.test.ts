import { describe, expect, it } from 'vitest';
import { LineRelay } from './line-relay.js';

describe('LineRelay', () => {
  it('passes on whole lines only, however the chunks fall', () => {
    const out: string[] = [];
    const relay = new LineRelay((lines) => out.push(lines));
    relay.push('{"a":');
    relay.push('1}\n{"b"');
    relay.push(':2}\n{"c":3}\n');
    expect(out).toEqual(['{"a":1}\n', '{"b":2}\n{"c":3}\n']);
  });

  it('ends a last open line with a newline when the stream ends', () => {
    const out: string[] = [];
    const relay = new LineRelay((lines) => out.push(lines));
    relay.push('nexus: port 3000 is already in use');
    expect(out).toEqual([]);
    relay.flush();
    relay.flush();
    expect(out).toEqual(['nexus: port 3000 is already in use\n']);
  });

  it('does not hold an endless line', () => {
    const out: string[] = [];
    const relay = new LineRelay((lines) => out.push(lines), 8);
    relay.push('0123456789');
    expect(out).toEqual(['0123456789\n']);
  });
});
