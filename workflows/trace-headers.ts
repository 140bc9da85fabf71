import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { TEMPORAL_TRACE_HEADER } from '../contracts/trace-header.js';

/**
 * Workflow interceptors (bundled with the workflows): the trace context the workflow was started with goes on, as it
 * came, to every activity it schedules, so a command's activities join its trace. Temporal's own OpenTelemetry
 * workflow interceptors are not used: their spans around update handlers add awaits that change the order of a
 * decision's commands, so histories written with them and without them do not replay on each other (TMPRL1100 at
 * a TimerCanceled), and turning tracing on or off would strand every command waiting for approval. Copying a header
 * adds no await and no command: tracing on or off, the history is the same.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let trace: unknown;
  return {
    inbound: [
      {
        execute(input, next) {
          trace = input.headers[TEMPORAL_TRACE_HEADER];
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity(input, next) {
          return next(trace === undefined ? input : { ...input, headers: { ...input.headers, [TEMPORAL_TRACE_HEADER]: trace as (typeof input.headers)[string] } });
        },
        scheduleLocalActivity(input, next) {
          return next(trace === undefined ? input : { ...input, headers: { ...input.headers, [TEMPORAL_TRACE_HEADER]: trace as (typeof input.headers)[string] } });
        },
      },
    ],
  };
};
