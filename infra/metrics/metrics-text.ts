import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { NexusMetrics } from './nexus-metrics.js';

const CORE_SCRAPE_TIMEOUT_MS = 1_000;

/**
 * What another process of the same NEXUS contributes to one scrape (`./nexus start` runs each role in a process of
 * its own): its registry as JSON, and text to append as it is (its Temporal core's metrics).
 */
export interface MetricsPart {
  metrics: Array<MetricObjectWithValues<MetricValue<string>>>;
  text: string;
}

/**
 * One scrape: NEXUS's own metrics, then the Temporal core's (when this process runs a worker), so Prometheus needs
 * one target per process. A core exporter that does not answer costs a comment line, never the scrape. With
 * `siblings`, the other role processes' metrics are merged in: series stay apart by their `nexus_role` label, and
 * each metric keeps one HELP and TYPE line.
 */
export async function metricsText(metrics: NexusMetrics, coreUrl: string | undefined, siblings?: () => Promise<MetricsPart[]>): Promise<string> {
  const own = siblings ? await mergedText(metrics, await siblings()) : await metrics.registry.metrics();
  return `${own}${await coreMetricsText(coreUrl)}`;
}

async function mergedText(metrics: NexusMetrics, parts: MetricsPart[]): Promise<string> {
  const merged = AggregatorRegistry.aggregate([await metrics.registry.getMetricsAsJSON(), ...parts.map((p) => p.metrics)]);
  return `${await merged.metrics()}${parts.map((p) => p.text).join('')}`;
}

/** The Temporal core's metrics of this process, or a comment saying why not; empty without a worker. */
export async function coreMetricsText(coreUrl: string | undefined): Promise<string> {
  if (!coreUrl) return '';
  try {
    const response = await fetch(coreUrl, { signal: AbortSignal.timeout(CORE_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return `# temporal core metrics: ${coreUrl} answered ${response.status}\n`;
    return await response.text();
  } catch (err) {
    return `# temporal core metrics: ${coreUrl} did not answer (${(err as Error).message})\n`;
  }
}
