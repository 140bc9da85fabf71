import { z } from 'zod';
import { ServiceRole } from '../contracts/index.js';

/** A process runs one role, or all of them together (`all`: one process for local use). */
export const Role = z.enum(['all', ...ServiceRole.options]);
export type Role = z.infer<typeof Role>;

/** `--role api|worker|bridge|all` (default all: one process for local use). */
export function parseRole(argv: readonly string[]): Role {
  const index = argv.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (index === -1) return 'all';
  const arg = argv[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  const parsed = Role.safeParse(value);
  if (!parsed.success) throw new RoleError(`--role must be one of all, api, worker, bridge (got "${value ?? ''}")`);
  return parsed.data;
}

export class RoleError extends Error {
  readonly code = 'invalid_role';
}
