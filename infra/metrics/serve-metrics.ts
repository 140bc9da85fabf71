import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger.js';
import { metricsText } from './metrics-text.js';
import type { NexusMetrics } from './nexus-metrics.js';

/** `GET /metrics` on its own port, for a process that serves no API (a worker, a bridge): `NEXUS_METRICS_PORT`. */
export async function serveMetrics(metrics: NexusMetrics, coreUrl: string | undefined, host: string, port: number, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'only GET /metrics here' } }));
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
