import { z } from 'zod';

/** `operator` sends commands and uploads files, `approver` decides asks, `viewer` reads the stream, `admin` manages tokens. */
export const Role = z.enum(['operator', 'approver', 'viewer', 'admin']);
export type Role = z.infer<typeof Role>;
export const ALL_ROLES: Role[] = Role.options;
/**
 * The roles that decide asks (and make standing approvals): a decision, a link or a standing approval carries only
 * these, whatever else its approver may do.
 */
export const DECIDER_ROLES: Role[] = ['approver', 'admin'];

/**
 * Who is asking. `local`: local mode, trusted headers, every role everywhere. `token`: an API token (or a stream
 * ticket minted from one, which carries `viewer` for one tenant only). `id` is safe to log and to record as
 * `decided_by` / `requested_by`: the token's id, never the token.
 */
export interface Principal {
  id: string;
  kind: 'local' | 'token';
  /** Undefined for a local principal: any org. */
  org_id?: string;
  projects: string[] | '*';
  roles: Role[];
  /** The token this principal came from (also for tickets), for revocation and per-token limits. */
  token_id?: string;
}

/** Whether the principal may act on `tenant` with `role`; the reason is the 403 message. */
export function permits(p: Principal, role: Role, tenant: { org_id: string; project_id: string }): string | undefined {
  if (p.org_id !== undefined && p.org_id !== tenant.org_id) return 'this token is not valid for this organisation';
  if (p.projects !== '*' && !p.projects.includes(tenant.project_id)) return 'this token is not valid for this project';
  if (!p.roles.includes(role)) return `this token lacks the ${role} role`;
  return undefined;
}
