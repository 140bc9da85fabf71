import type { StandingApprovalList, StandingApprovalRequest, StandingApprovalView, Tenant } from '../../contracts/index.js';
import { tenantHeaders } from './api-client.js';
import { errorText } from './error-text.js';
import { t } from './i18n/locale.js';

/** An answer of the standing approvals API: what it holds now, or why not, in the API's own words. */
export type StandingAnswer<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Standing approvals are settings of a project, not command state: they are read and changed here through their
 * own API, while what they approve (asks resolved ahead of time) still reaches the page only through the stream.
 */
export function listStanding(tenant: Tenant): Promise<StandingAnswer<StandingApprovalList>> {
  return call('GET', '/standing-approvals', tenant, {}, undefined, 200);
}

export function createStanding(tenant: Tenant, body: StandingApprovalRequest, caller: Record<string, string>): Promise<StandingAnswer<StandingApprovalView>> {
  return call('POST', '/standing-approvals', tenant, caller, body, 201);
}

export function changeStanding(tenant: Tenant, id: string, change: 'approve' | 'revoke', caller: Record<string, string>): Promise<StandingAnswer<StandingApprovalView>> {
  return call('POST', `/standing-approvals/${encodeURIComponent(id)}/${change}`, tenant, caller, {}, 200);
}

async function call<T>(method: string, path: string, tenant: Tenant, caller: Record<string, string>, body: unknown, expected: number): Promise<StandingAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...tenantHeaders(tenant), ...caller },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    return { ok: false, message: t.connection.apiUnreachable };
  }
  const text = await response.text();
  if (response.status !== expected) return { ok: false, message: errorText(text) ?? t.connection.apiAnswered(response.status) };
  return { ok: true, value: JSON.parse(text) as T };
}
