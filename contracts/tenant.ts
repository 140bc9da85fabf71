import { z } from 'zod';

/** Org and project ids: lower-case, safe in Redis keys, AMQP routing keys and SSE fields. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const TenantId = z.string().regex(TENANT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,62}$');
export type TenantId = z.infer<typeof TenantId>;

export const Tenant = z.object({ org_id: TenantId, project_id: TenantId });
export type Tenant = z.infer<typeof Tenant>;
