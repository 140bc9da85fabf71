import type { NexusMetrics } from './nexus-metrics.js';

const CORE_SCRAPE_TIMEOUT_MS = 1_000;

/**
 * One scrape: NEXUS's own metrics, then the Temporal core's (when this process runs a worker), so Prometheus needs
 * one target per process. A core exporter that does not answer costs a comment line, never the scrape.
 */
export async function metricsText(metrics: NexusMetrics, coreUrl: string | undefined): Promise<string> {
  const own = await metrics.registry.metrics();
  if (!coreUrl) return own;
  try {
    const response = await fetch(coreUrl, { signal: AbortSignal.timeout(CORE_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return `${own}# temporal core metrics: ${coreUrl} answered ${response.status}\n`;
    return `${own}${await response.text()}`;
  } catch (err) {
    return `${own}# temporal core metrics: ${coreUrl} did not answer (${(err as Error).message})\n`;
  }
}
