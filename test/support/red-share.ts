import { expect } from 'vitest';
import type { ReportOf, Tenant } from '../../contracts/index.js';
import { post } from './nexus-under-test.js';
import { SseRecorder } from './sse-client.js';

export interface ShareOrder {
  baseUrl: string;
  tenant: Tenant;
  /** The local receiver's base URL; the share goes to `<hookUrl>/hook/<correlation id>`. */
  hookUrl: string;
  label: string;
  /** What is shared (default: the label); a test that looks for it in ciphertext picks something recognisable. */
  payload?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** More fields of the command (a client's risk_level, say). */
  extra?: Record<string, unknown>;
}

/** Sends a RED external_share through the API and waits for its ask, recording the command's stream. */
export async function sendShare(order: ShareOrder) {
  const correlationId = `${order.label}-${Date.now()}`;
  // The stream gets the caller's credentials (tokens mode) and nothing else: a traceparent, say, belongs to the POST.
  const authorization = order.headers?.authorization;
  const stream = await SseRecorder.open(order.baseUrl, order.tenant, { correlationId, ...(authorization ? { headers: { authorization } } : {}) });
  const res = await post(order.baseUrl, '/sidecar/command', {
    type: 'agent.run',
    agent: 'external_share',
    params: { url: `${order.hookUrl}/hook/${correlationId}`, payload: order.payload ?? { label: order.label } },
    correlation_id: correlationId,
    ...order.extra,
  }, order.tenant, order.headers);
  expect(res.status).toBe(202);
  const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'the ask');
  const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
  if (!ask) throw new Error('no ask');
  return { correlationId, stream, ask, workflowId: res.body.workflow_id as string };
}

/**
 * Sends a share, approves it as `principal-park` and expects it delivered once: the whole path a deployment's logins
 * must allow. Returns the command's reports.
 */
export async function expectApprovedShareDelivered(order: ShareOrder, deliveries: () => Array<{ correlationId?: string | undefined }>) {
  const share = await sendShare({ ...order, headers: { 'x-user-id': 'teacher-requester', ...order.headers } });
  const decided = await post(order.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, order.tenant, { 'x-user-id': 'principal-park' });
  expect(decided.status).toBe(202);
  const reports = await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the approved share to complete');
  share.stream.close();
  expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
  expect(deliveries().filter((d) => d.correlationId === share.correlationId)).toHaveLength(1);
  return { ...share, reports };
}
