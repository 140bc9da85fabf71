import type { Role } from '../../api/auth/principal.js';
import type { TokenStore } from '../../api/auth/token-store.js';

export interface MintedToken {
  id: string;
  auth: { authorization: string };
}

/**
 * Makes API tokens for a test's tenant: the roles given, in its project (or the projects and org given). `store`
 * is read at each call, as the store exists only once the test's NEXUS is up.
 */
export function tokenMinter(store: () => TokenStore, tenant: { org_id: string; project_id: string }, label: string) {
  return async (roles: Role[], projects: string[] | '*' = [tenant.project_id], org = tenant.org_id): Promise<MintedToken> => {
    const { token, record } = await store().create({ org_id: org, projects, roles, label });
    return { id: record.token_id, auth: { authorization: `Bearer ${token}` } };
  };
}
