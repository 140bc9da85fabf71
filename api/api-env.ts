import type { Principal } from './auth/principal.js';
import type { Tenant } from '../contracts/index.js';

/** Hono context variables set by middleware. */
export interface ApiEnv {
  Variables: {
    tenant: Tenant;
    correlationId?: string;
    /** Set by `authenticate` before any route handler runs (local mode: always; tokens mode: when credentials are valid). */
    principal: Principal;
    /** Why credentials were refused (tokens mode), for the 401 message. */
    authProblem?: string;
    /** The `error.code` of the answer, for the audit log. */
    errorCode?: string;
    /**
     * The audit trail writes nothing for this request: the route wrote its own entries (one per decision of a batch),
     * or its answer is no refusal (`GET /mcp`'s 405, which MCP clients ask for as a matter of course).
     */
    audited?: boolean;
  };
}
