import type { Tenant } from '../../contracts/index.js';

export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const STORAGE_KEY = 'nexus.tenant';
const DEFAULT_TENANT: Tenant = { org_id: 'acme', project_id: 'demo' };

/** `?org_id=&project_id=` wins (links from notifications and the CLI), then the last tenant used here. */
export function initialTenant(): Tenant {
  const query = new URLSearchParams(location.search);
  const fromQuery = { org_id: query.get('org_id') ?? '', project_id: query.get('project_id') ?? '' };
  if (isTenant(fromQuery)) return fromQuery;
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as unknown;
    if (isTenant(stored)) return stored;
  } catch {
    // storage disabled or corrupt: fall through to the default
  }
  return DEFAULT_TENANT;
}

/** Remembers the tenant and puts it in the address bar, so a reload or a copied link opens the same view. */
export function rememberTenant(tenant: Tenant): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(tenant));
  } catch {
    // private mode: the URL still carries it
  }
  const url = new URL(location.href);
  url.searchParams.set('org_id', tenant.org_id);
  url.searchParams.set('project_id', tenant.project_id);
  history.replaceState(null, '', url);
}

export function isTenant(value: unknown): value is Tenant {
  if (typeof value !== 'object' || value === null) return false;
  const { org_id, project_id } = value as Record<string, unknown>;
  return typeof org_id === 'string' && typeof project_id === 'string' && TENANT_PATTERN.test(org_id) && TENANT_PATTERN.test(project_id);
}
