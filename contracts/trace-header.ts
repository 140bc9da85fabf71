/**
 * The Temporal header that carries a command's trace context (W3C, as Temporal's OpenTelemetry interceptors write
 * it): set by the API's client, passed by the workflow to every activity it schedules, read by the activity spans.
 */
export const TEMPORAL_TRACE_HEADER = '_tracer-data';
