import { diag, DiagLogLevel } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import type { Logger } from '../logger.js';
import { serviceAddress } from '../service-address.js';

export interface TracingConfig {
  /** Where spans go (OTLP/HTTP, JSON); tracing is off when unset. */
  tracesUrl: string | undefined;
  headers: Record<string, string>;
  serviceName: string;
  /** The share of new traces recorded (0–1); a trace a caller already samples keeps its choice. */
  sampleRatio: number;
}

export interface Tracing {
  enabled: boolean;
  /** Sends the spans still batched, then stops. */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: Tracing = {
  enabled: false,
  shutdown: () => Promise.resolve(),
};

/**
 * Registers the process-wide tracer provider, W3C trace context and an async-local context, once per process.
 * Unconfigured, nothing is registered: every span NEXUS makes is then OpenTelemetry's no-op, and nothing is added
 * to messages or stream entries.
 */
export function startTracing(config: TracingConfig, role: string, logger: Logger): Tracing {
  if (config.tracesUrl === undefined) return TRACING_OFF;
  const log = logger.child({ module: 'tracing', address: serviceAddress(config.tracesUrl) });
  // The SDK's own complaints (a collector that is down, a refused export) as JSON lines naming where spans go.
  const say = (level: 'warn' | 'error') => (message: string, ...args: unknown[]) => log[level]({ detail: args.map(String).join(' ').slice(0, 500) }, `tracing: ${message}`);
  diag.setLogger({ error: say('error'), warn: say('warn'), info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  const resource = new Resource({ 'service.name': config.serviceName, 'nexus.role': role });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl, headers: config.headers }));
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  log.info({ service: config.serviceName, sample_ratio: config.sampleRatio }, 'sending traces over OTLP/HTTP');
  return {
    enabled: true,
    shutdown: () => provider.shutdown(),
  };
}
