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
  const stream = await SseRecorder.open(order.baseUrl, order.tenant, { correlationId });
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
