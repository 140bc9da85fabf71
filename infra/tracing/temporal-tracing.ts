import { trace } from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Tracing } from './start-tracing.js';
import { CORRELATION_ATTRIBUTE } from './trace-context.js';

/**
 * The API's client: a started command's trace goes on into its workflow. Temporal's OpenTelemetry client and
 * activity interceptors carry it in Temporal headers (never through the payload codec: a trace context is not secret
 * and proves nothing). Off, none of them is installed.
 */
export function clientTracing(tracing: Tracing): WorkflowClientInterceptor[] {
  if (!tracing.enabled) return [];
  return [
    new OpenTelemetryWorkflowClientInterceptor(),
    {
      // Inside the StartWorkflow span opened above: name the command on it.
      async start(input, next) {
        markCorrelation(input.options.args[0]);
        return next(input);
      },
    },
  ];
}

/**
 * The worker's part: a span per activity, continuing the trace its workflow passed on, named after its command.
 * Workflows themselves make no spans (workflows/trace-headers.ts says why).
 */
export function activityTracing(tracing: Tracing): ActivityInterceptorsFactory[] {
  if (!tracing.enabled) return [];
  return [
    (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    () => ({
      inbound: {
        async execute(input, next) {
          markCorrelation(input.args[0]);
          return next(input);
        },
      },
    }),
  ];
}

/**
 * Every NEXUS workflow and activity input names its command (publishReports takes the reports, which do); anything
 * else is left unmarked.
 */
function markCorrelation(input: unknown): void {
  const named = Array.isArray(input) ? input[0] : input;
  const correlationId = (named as { correlation_id?: unknown } | null | undefined)?.correlation_id;
  if (typeof correlationId === 'string') trace.getActiveSpan()?.setAttribute(CORRELATION_ATTRIBUTE, correlationId);
}
