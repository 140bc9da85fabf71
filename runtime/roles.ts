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

/**
 * How this process runs: `supervisor` (`./nexus start` with no role: each role in a process of its own, started and
 * watched by this one), or one role (`--role`; `all` is every role in this one process). `supervised`: a role
 * process the supervisor started (`--supervised`, with an IPC channel to it).
 */
export type Launch = { kind: 'supervisor' } | { kind: 'role'; role: Role; supervised: boolean };

export function parseLaunch(argv: readonly string[]): Launch {
  const hasRole = argv.some((a) => a === '--role' || a.startsWith('--role='));
  const supervised = argv.includes('--supervised');
  if (!hasRole) {
    if (supervised) throw new RoleError('--supervised needs --role');
    return { kind: 'supervisor' };
  }
  return { kind: 'role', role: parseRole(argv), supervised };
}

export class RoleError extends Error {
  readonly code = 'invalid_role';
}
