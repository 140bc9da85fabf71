import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { isListening } from '../../runtime/devserver/port-check.js';
import { freeRestartablePort } from './local-server.js';
import { killHard } from './nexus-under-test.js';
import { until } from './until.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of a test's own: three masters (`redis-server --cluster-enabled yes`) joined by
 * `redis-cli --cluster create`, on ports and folders no one else uses, gone when the test stops it.
 */
export class LocalRedisCluster {
  private readonly children: ChildProcess[] = [];

  private constructor(readonly ports: number[], private readonly dir: string) {}

  static async start(masters = 3): Promise<LocalRedisCluster> {
    const ports: number[] = [];
    while (ports.length < masters) {
      const port = await freeRestartablePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const cluster = new LocalRedisCluster(ports, mkdtempSync(join(tmpdir(), 'nexus-redis-cluster-')));
    try {
      for (const port of ports) {
        const dir = mkdtempSync(join(cluster.dir, `${port}-`));
        cluster.children.push(spawn('redis-server', [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--appendonly', 'yes', '--save', '',
        ], { stdio: 'ignore' }));
        await until(() => isListening('127.0.0.1', port), 10_000, `the cluster node on port ${port} to listen`);
      }
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
      await until(async () => {
        const infos = await Promise.all(ports.map((p) => run('redis-cli', ['-p', String(p), 'cluster', 'info']).then((r) => r.stdout)));
        return infos.every((info) => info.includes('cluster_state:ok'));
      }, 20_000, 'every cluster node to report cluster_state:ok');
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The cluster as NEXUS's REDIS_URL names one. */
  get url(): string {
    return `redis+cluster://${this.ports.map((port) => `127.0.0.1:${port}`).join(',')}`;
  }

  /** An ioredis Cluster client, as NEXUS would hold one. */
  client(): Cluster {
    return new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 2 } });
  }

  async stop(): Promise<void> {
    for (const child of this.children) await killHard(child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
