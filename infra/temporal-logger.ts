import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from './logger.js';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

let installed = false;

/** Routes the Temporal SDK's, workflows' and activities' logs into our JSON logger (once per process). */
export function installTemporalLogger(logger: Logger): void {
  if (installed) return;
  installed = true;
  const log = logger.child({ module: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry: LogEntry) => {
      log[LEVELS[entry.level]]({ ...(entry.meta ?? {}) }, entry.message);
    }),
  });
}
