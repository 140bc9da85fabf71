import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets } from './logger.js';

/** The shape the Temporal server gives a task token: a protobuf whose first field is the namespace id (a UUID). */
function fakeTaskToken(): Buffer {
  const workflowId = 'nexus/acme/web/cmd-1';
  return Buffer.concat([
    Buffer.from([0x0a, 0x24]), Buffer.from(randomUUID()),
    Buffer.from([0x12, workflowId.length]), Buffer.from(workflowId),
    Buffer.from([0x1a, 0x24]), Buffer.from(randomUUID()),
    Buffer.from([0x20, 0x05, 0x28, 0x01]),
  ]);
}

describe('redactSecrets', () => {
  it('removes a task token in every form it is printed in, wherever it sits in the line', () => {
    const token = fakeTaskToken();
    const b64 = token.toString('base64');
    const line = JSON.stringify({
      a: `TaskToken(${b64})`, b: `failed for ${b64}.`, c: token.toString('base64url'), d: `abcCiQ${b64}`, e: `[${[...token].join(', ')}]`,
    });
    const out = redactSecrets(line);
    expect(out).not.toContain(b64);
    expect(out).not.toContain(token.toString('base64url'));
    expect(out).not.toContain([...token].join(', '));
    expect(JSON.parse(out)).toEqual({
      a: 'TaskToken([redacted])', b: 'failed for [redacted task token].', c: '[redacted task token]', d: 'abcCiQ[redacted task token]', e: '[redacted task token]',
    });
  });

  it('keeps other base64 (digests, ids) and masks NEXUS tokens', () => {
    const digest = `sha256:${Buffer.alloc(32, 7).toString('base64')}`;
    const notAToken = `CiQ${'A'.repeat(80)}`;
    expect(redactSecrets(`${digest} ${notAToken}`)).toBe(`${digest} ${notAToken}`);
    expect(redactSecrets('Bearer nxs_0123456789abcdefghijklmnop')).toBe('Bearer nxs_[redacted]');
  });

  it('is applied to every line the logger writes, and task-token fields are dropped', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString()); done(); } });
    const b64 = fakeTaskToken().toString('base64');
    createLogger('info', sink).child({ module: 'x' }).warn({ taskToken: b64, meta: { task_token: b64 } }, `heartbeat ${b64}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(b64);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: 'heartbeat [redacted task token]', meta: {} });
  });
});
