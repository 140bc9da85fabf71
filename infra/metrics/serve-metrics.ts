import { createServer, type Server } from 'node:http';
import type { runChecks } from '../health-checks.js';
import type { Logger } from '../logger.js';
import { metricsText } from './metrics-text.js';
import type { NexusMetrics } from './nexus-metrics.js';

/**
 * `GET /metrics` on its own port, for a process that serves no API (a worker, a bridge): `NEXUS_METRICS_PORT`. And
 * `GET /health` there, for an orchestrator's probes: 200 when every dependency of the roles this process runs
 * answers, else 503 naming the one that did not (the API's own /health, without addresses: nothing here is public).
 */
export async function serveMetrics(
  metrics: NexusMetrics, coreUrl: string | undefined, host: string, port: number, logger: Logger, health: () => ReturnType<typeof runChecks>,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      health().then(({ ok, failed, checks }) => {
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(ok ? { status: 'ok', checks } : { status: 'unavailable', failed, checks }));
      }, () => res.writeHead(503).end());
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'only GET /metrics and GET /health here' } }));
      return;
    }
    metricsText(metrics, coreUrl).then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      (err: unknown) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'backend_unavailable', message: (err as Error).message } })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ address: `http://${host}:${port}/metrics` }, 'metrics served');
  return server;
}
