import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from './logger.js';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

let installed = false;

/**
 * Routes the Temporal SDK's, workflows', activities' and core's logs into our JSON logger (once per process).
 * Core's lines are forwarded rather than left on stderr: some of its warnings name an activity's task token, and
 * only our logger redacts it (`infra/logger.ts`). The SDK's activity attributes carry the token too.
 */
export function installTemporalLogger(logger: Logger): void {
  if (installed) return;
  installed = true;
  const log = logger.child({ module: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry: LogEntry) => {
      log[LEVELS[entry.level]]({ ...(entry.meta ?? {}) }, entry.message);
    }),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } },
  });
}
