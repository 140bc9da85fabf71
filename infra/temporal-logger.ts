import { stripVTControlCharacters } from 'node:util';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger.js';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

let installed = false;
let coreMetricsUrl: string | undefined;

/**
 * Routes the Temporal SDK's, workflows', activities' and core's logs into our JSON logger (once per process).
 * Core's lines are forwarded rather than left on stderr: some of its warnings name an activity's task token, and
 * only our logger redacts it (`infra/logger.ts`). The SDK's activity attributes carry the token too.
 * With `metricsPort`, core's own metrics (workers' polls, task latencies, slots, sticky cache) are served on
 * 127.0.0.1 only, for NEXUS's `/metrics` to include (`temporalCoreMetricsUrl`).
 */
export function installTemporalLogger(logger: Logger, options: { metricsPort?: number } = {}): void {
  if (installed) return;
  installed = true;
  const log = logger.child({ module: 'temporal' });
  const metrics = options.metricsPort === undefined ? undefined : {
    prometheus: { bindAddress: `127.0.0.1:${options.metricsPort}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry: LogEntry) => {
      const line = temporalLogLine(entry);
      log[line.level](line.fields, line.msg);
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      ...(metrics ? { metrics } : {}),
    },
  });
  if (options.metricsPort !== undefined) coreMetricsUrl = `http://127.0.0.1:${options.metricsPort}/metrics`;
}

/** Where this process's Temporal core serves its metrics, if it was installed with a port. */
export function temporalCoreMetricsUrl(): string | undefined {
  return coreMetricsUrl;
}

export interface TemporalLogLine {
  level: (typeof LEVELS)[LogLevel];
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * One SDK entry as one plain log line. Core's Rust lines arrive with terminal colours, which would put escape
 * codes inside our JSON; the bundler's statistics arrive as a many-line INFO message an operator never acts on:
 * its first line stays the message and the rest moves to `detail`, at debug.
 */
export function temporalLogLine(entry: LogEntry): TemporalLogLine {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.meta ?? {})) fields[key] = typeof value === 'string' ? stripVTControlCharacters(value) : value;
  const [headline = '', ...more] = stripVTControlCharacters(entry.message).trim().split('\n');
  if (more.length === 0) return { level: LEVELS[entry.level], msg: headline, fields };
  fields.detail = more.join('\n');
  const quiet = entry.level === 'INFO' || entry.level === 'DEBUG' || entry.level === 'TRACE';
  return { level: quiet ? 'debug' : LEVELS[entry.level], msg: headline, fields };
}
