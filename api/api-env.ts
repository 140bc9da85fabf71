import type { Tenant } from '../contracts/index.js';

/** Hono context variables set by middleware. */
export interface ApiEnv {
  Variables: {
    tenant: Tenant;
    correlationId?: string;
  };
}
