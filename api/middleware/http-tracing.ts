import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../api-env.js';
import { CORRELATION_ATTRIBUTE, failSpan, inSpan, SpanKind, traceContextOf } from '../../infra/tracing/trace-context.js';
import { routeTemplate } from './route-template.js';
import { loggablePath } from './loggable-path.js';

/**
 * One server span per request, continuing the caller's W3C `traceparent` when it sends one (a trace context proves
 * nothing and grants nothing), so a command's trace begins at its POST. A stream's span covers its opening only.
 */
export function httpTracing(): MiddlewareHandler<ApiEnv> {
  return (c, next) => inSpan(`${c.req.method} request`, {
    kind: SpanKind.SERVER,
    parent: traceContextOf({ traceparent: c.req.header('traceparent'), tracestate: c.req.header('tracestate') }),
    attributes: { 'http.request.method': c.req.method, 'url.path': loggablePath(c.req.path) },
  }, async (span) => {
    await next();
    const route = routeTemplate(c);
    span.updateName(`${c.req.method} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
    const correlationId = c.get('correlationId');
    if (correlationId) span.setAttribute(CORRELATION_ATTRIBUTE, correlationId);
    // A 4xx is the caller's mistake, answered as designed; only a 5xx is NEXUS failing.
    if (c.res.status >= 500) failSpan(span, `answered ${c.res.status}`);
  });
}
