import type { Tenant } from '../../contracts/index.js';
import { NexusMetrics } from '../../infra/metrics/nexus-metrics.js';
import { CORRELATION_ATTRIBUTE, SpanKind, traceContextOf, tracer, type Span } from '../../infra/tracing/trace-context.js';
import type { FeedBatch } from './feed-entry.js';
import type { FanOutObserver } from './report-feed.js';

/**
 * Measures and traces each report once per API as it goes out to the tenant's clients, not once per client: with
 * thousands of clients a span or a histogram sample per write would cost more than the write itself.
 */
export function fanOutObserver(metrics: NexusMetrics): FanOutObserver {
  return {
    fanOut(tenant: Tenant, batch: FeedBatch, clients: number): () => void {
      const spans: Span[] = [];
      for (const entry of batch.entries) {
        // The live write is the last hop of its command's trace; a replay is a later reader's business.
        if (entry.trace !== undefined) {
          spans.push(tracer.startSpan(`sse ${entry.reportType ?? 'report'}`, {
            kind: SpanKind.PRODUCER,
            attributes: {
              ...(entry.correlationId !== undefined ? { [CORRELATION_ATTRIBUTE]: entry.correlationId } : {}),
              'nexus.stream_id': entry.id,
              'nexus.org_id': tenant.org_id,
              'nexus.project_id': tenant.project_id,
              'nexus.sse_clients': clients,
            },
          }, traceContextOf({ traceparent: entry.trace })));
        }
      }
      return () => {
        const now = Date.now();
        for (const entry of batch.entries) if (entry.ts !== undefined) metrics.deliveryLag.observe(NexusMetrics.secondsSince(entry.ts, now));
        for (const span of spans) span.end();
      };
    },
  };
}
