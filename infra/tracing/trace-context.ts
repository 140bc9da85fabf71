import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

export { ROOT_CONTEXT, SpanKind, type Span };

/** The attribute that ties a span to its command, as `correlation_id` ties the logs and reports. */
export const CORRELATION_ATTRIBUTE = 'correlation_id';

/** NEXUS's own spans; a no-op until a provider is registered (startTracing), so callers never ask whether it is. */
export const tracer = trace.getTracer('nexus');

/** The active span's W3C trace context as headers (`traceparent`, `tracestate`); empty when tracing is off. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier;
}

/** The trace a carrier continues: only its string values are read; anything else starts a new trace. */
export function traceContextOf(carrier: Record<string, unknown> | undefined): Context {
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(carrier ?? {})) {
    if (typeof value === 'string') strings[key] = value;
    else if (Buffer.isBuffer(value)) strings[key] = value.toString('utf8');
  }
  return propagation.extract(ROOT_CONTEXT, strings);
}

export interface SpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /** The span to continue; the active one when absent. */
  parent?: Context;
}

/** Runs `fn` inside a new span (active for everything it awaits), records a throw as the span's error and ends it. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed without a throw (a refused or dead-lettered message). */
export function failSpan(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
