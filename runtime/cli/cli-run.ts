import type { z } from 'zod';
import { ConfigError } from '../config/load-config.js';

/** A mistake in how a command-line tool was called: printed as it is, without "failed". */
export class UsageError extends Error {}

/** The tool's own variables, validated with every problem named, or a UsageError ending in the tool's usage. */
export function parseToolEnv<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>, usage: string): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new UsageError(`${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n${usage}`);
  return parsed.data;
}

/** Runs `main` when `moduleUrl` is the script node was started with; a failure is one line on stderr and exit 1. */
export function runAsScript(moduleUrl: string, name: string, main: () => Promise<void>): void {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  main().catch((err: unknown) => {
    const known = err instanceof UsageError || err instanceof ConfigError;
    process.stderr.write(`nexus ${name}: ${known ? '' : 'failed: '}${(err as Error).message}\n`);
    process.exit(1);
  });
}
