import type { LogEntry } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { temporalLogLine } from './temporal-logger.js';

const entry = (level: LogEntry['level'], message: string, meta?: Record<string, unknown>): LogEntry =>
  ({ level, message, meta, timestampNanos: 0n }) as LogEntry;

describe('temporalLogLine', () => {
  it('strips the terminal colours of core\'s lines from the message and from string fields', () => {
    const line = temporalLogLine(entry('WARN', '\u001b[2m2026-12-06\u001b[0m \u001b[33m WARN\u001b[0m poll failed', { target: '\u001b[1mtemporal_sdk_core\u001b[0m', attempt: 3 }));
    expect(line).toEqual({ level: 'warn', msg: '2026-12-06  WARN poll failed', fields: { target: 'temporal_sdk_core', attempt: 3 } });
    expect(JSON.stringify(line)).not.toContain('\\u001b');
  });

  it('turns the bundler\'s many-line statistics into one debug line with the rest as detail', () => {
    const line = temporalLogLine(entry('INFO', 'asset workflow-bundle-1.js 1.74 MiB [emitted]\nruntime modules 883 bytes\nwebpack compiled successfully', { sdkComponent: 'worker' }));
    expect(line.level).toBe('debug');
    expect(line.msg).toBe('asset workflow-bundle-1.js 1.74 MiB [emitted]');
    expect(line.fields).toEqual({ sdkComponent: 'worker', detail: 'runtime modules 883 bytes\nwebpack compiled successfully' });
  });

  it('keeps a many-line warning or error at its level', () => {
    expect(temporalLogLine(entry('ERROR', 'workflow task failed\n  at x (y.ts:1)')).level).toBe('error');
    expect(temporalLogLine(entry('INFO', 'Worker state changed', { state: 'RUNNING' }))).toEqual({ level: 'info', msg: 'Worker state changed', fields: { state: 'RUNNING' } });
  });
});
