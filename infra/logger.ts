import { pino, type Logger } from 'pino';

export type { Logger };

/** One root logger per process; modules take `logger.child({ module })` and add `correlation_id` where they have one. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'nexus' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['*.authorization', '*.token', '*.ticket', 'req.headers.authorization', 'req.query.ticket'], remove: true },
    },
    destination,
  );
}
