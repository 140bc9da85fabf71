import type { ErrorIssue, Tenant } from '../../contracts/index.js';
import { authHeaders } from './token.js';
import { t } from './i18n/locale.js';

/**
 * What a POST tells the page: accepted or not, and why not. Deliberately no body on success — command and ask
 * state come only from the stream (invariant 1), so there is nothing here that could be rendered as state.
 */
export type PostOutcome = { accepted: true; body?: unknown } | { accepted: false; status: number; message: string; issues: ErrorIssue[] };

/** Which project a request is for, and who asks: on every call to a tenant's API. */
export function tenantHeaders(tenant: Tenant): Record<string, string> {
  return { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id, ...authHeaders() };
}

export async function postJson(path: string, body: unknown, tenant: Tenant, headers: Record<string, string> = {}): Promise<PostOutcome> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...tenantHeaders(tenant), ...headers },
      body: JSON.stringify(body),
    });
  } catch {
    return { accepted: false, status: 0, message: t.connection.apiUnreachable, issues: [] };
  }
  if (response.status === 202) {
    // Most 202s carry ids only; a batch's carries each item's result.
    const accepted: unknown = await response.json().catch(() => undefined);
    return { accepted: true, body: accepted };
  }
  let message = t.connection.apiAnswered(response.status);
  let issues: ErrorIssue[] = [];
  try {
    const parsed = (await response.json()) as { error?: { message?: string; issues?: ErrorIssue[] } };
    message = parsed.error?.message ?? message;
    issues = parsed.error?.issues ?? [];
  } catch {
    // not JSON: keep the status line
  }
  const retryAfter = response.headers.get('retry-after');
  if (response.status === 503 && retryAfter) message += t.connection.retryIn(retryAfter);
  return { accepted: false, status: response.status, message, issues };
}

/** A client-made id, so a resend is idempotent and the card exists before any answer. Works without a secure context. */
export function newClientId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const rand = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${rand}`;
}
