import { z } from 'zod';
import { Tenant } from './tenant.js';
import { CLIENT_KEY_PATTERN } from './client-key-pattern.js';

/** Client-chosen keys (command_id, correlation_id): no newlines or spaces, so they are safe in every header and SSE field. */
export const ClientKey = z.string().regex(CLIENT_KEY_PATTERN, 'must match [A-Za-z0-9_.:-]{1,128}');
export type ClientKey = z.infer<typeof ClientKey>;

/** A Redis stream entry id, `<ms>-<seq>` or `<ms>`; `-1`, `$` and friends are refused. */
const MAX_U64 = 18446744073709551615n;
export const StreamCursor = z.string()
  .regex(/^\d{1,20}(-\d{1,20})?$/, 'must be a stream id like 1700000000000-0')
  // Refinements run even when the pattern failed: only digits reach BigInt.
  .refine((id) => id.split('-').every((part) => !/^\d{1,20}$/.test(part) || BigInt(part) <= MAX_U64), 'each part of a stream id fits in 64 bits');
export type StreamCursor = z.infer<typeof StreamCursor>;

/**
 * The workflow id is derived from tenant + command_id so a repeated command is the same workflow.
 * `/` cannot occur in tenant ids, so the mapping is injective.
 */
export function workflowIdFor(tenant: Tenant, commandId: string): string {
  return `nexus/${tenant.org_id}/${tenant.project_id}/${commandId}`;
}

/** The tenant and command a workflow id names, when it is one `workflowIdFor` could have made. */
export function commandOfWorkflowId(workflowId: string): { tenant: Tenant; commandId: string } | undefined {
  const parts = workflowId.split('/');
  if (parts.length !== 4 || parts[0] !== 'nexus') return undefined;
  const [, org, project, commandId] = parts;
  if (!org || !project || !commandId || !ClientKey.safeParse(commandId).success) return undefined;
  const tenant = Tenant.safeParse({ org_id: org, project_id: project });
  return tenant.success ? { tenant: tenant.data, commandId } : undefined;
}
