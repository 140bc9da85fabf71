import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { isListening } from '../../runtime/devserver/port-check.js';
import { freeClusterNodePort } from './local-server.js';
import { killHard } from './nexus-under-test.js';
import { until } from './until.js';

const run = promisify(execFile);

/** One line of CLUSTER NODES: who a node is, and whose replica. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  masterId: string | undefined;
  /** Slot ranges a master serves, as [first, last]. */
  slots: Array<[number, number]>;
}

/**
 * A Redis Cluster of a test's own: masters (`redis-server --cluster-enabled yes`), optionally a replica each, joined
 * by `redis-cli --cluster create`, on ports and folders no one else uses, gone when the test stops it. A node can be
 * killed, paused (SIGSTOP: it stops copying from its master without the cluster noticing) and started again on
 * its own folder, so it rejoins with its nodes.conf.
 */
export class LocalRedisCluster {
  private readonly children = new Map<number, ChildProcess>();
  private readonly dirs = new Map<number, string>();

  private constructor(readonly ports: number[], private readonly dir: string) {}

  static async start(masters = 3, replicasPerMaster = 0): Promise<LocalRedisCluster> {
    const ports: number[] = [];
    while (ports.length < masters * (1 + replicasPerMaster)) {
      const port = await freeClusterNodePort();
      if (!ports.some((p) => Math.abs(p - port) === 10_000 || p === port)) ports.push(port);
    }
    const cluster = new LocalRedisCluster(ports, mkdtempSync(join(tmpdir(), 'nexus-redis-cluster-')));
    try {
      for (const port of ports) {
        cluster.dirs.set(port, mkdtempSync(join(cluster.dir, `${port}-`)));
        await cluster.startNode(port);
      }
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes']);
      await cluster.healthy();
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

  /** Every live node reports cluster_state:ok, and every replica is in sync with its master. */
  async healthy(): Promise<void> {
    await until(async () => {
      for (const port of this.ports.filter((p) => this.children.has(p))) {
        if (!(await this.cli(port, 'cluster', 'info')).includes('cluster_state:ok')) return false;
        const replication = await this.cli(port, 'info', 'replication');
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
      }
      return true;
    }, 30_000, 'every cluster node to report cluster_state:ok and every replica in sync');
  }

  /** Resolves once every replica of the master on `port` has copied all it wrote (replication offsets equal). */
  async caughtUp(port: number): Promise<void> {
    await until(async () => {
      const info = await this.cli(port, 'info', 'replication');
      const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
      const replicas = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => m[1]);
      return replicas.length > 0 && replicas.every((o) => o === offset);
    }, 10_000, `the replicas of the node on port ${port} to copy everything it wrote`);
  }

  /**
   * Cuts a master off from its replica: the replica stops (SIGSTOP) and the master drops its link, so what the
   * master writes next reaches no replica (a paused process alone would still find it in its socket on waking).
   */
  async isolateReplica(masterPort: number, replicaPort: number): Promise<void> {
    this.pause(replicaPort);
    await this.cli(masterPort, 'client', 'kill', 'type', 'replica');
  }

  /** The cluster's nodes as the node on `askPort` sees them (a dead node's line says so in its flags). */
  async nodes(askPort: number): Promise<ClusterNode[]> {
    return (await this.cli(askPort, 'cluster', 'nodes')).trim().split('\n').map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.split(' ');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        role: flags.includes('master') ? 'master' as const : 'replica' as const,
        masterId: master === '-' ? undefined : master,
        slots: slots.filter((s) => /^\d+(-\d+)?$/.test(s)).map((s) => {
          const [first = 0, last = first] = s.split('-').map(Number);
          return [first, last] as [number, number];
        }),
      };
    });
  }

  /** The master serving a slot, and its replica. */
  async shardOf(slot: number, askPort: number): Promise<{ master: ClusterNode; replica: ClusterNode | undefined }> {
    const nodes = await this.nodes(askPort);
    const master = nodes.find((n) => n.role === 'master' && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return { master, replica: nodes.find((n) => n.masterId === master.id) };
  }

  async cli(port: number, ...args: string[]): Promise<string> {
    return (await run('redis-cli', ['-p', String(port), ...args])).stdout;
  }

  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    this.children.delete(port);
    if (child) await killHard(child);
  }

  pause(port: number): void {
    this.children.get(port)?.kill('SIGSTOP');
  }

  resume(port: number): void {
    this.children.get(port)?.kill('SIGCONT');
  }

  /** Starts a killed node again on its own folder: it rejoins the cluster it knew. */
  async restart(port: number): Promise<void> {
    await this.startNode(port);
  }

  async stop(): Promise<void> {
    for (const port of [...this.children.keys()]) {
      this.resume(port);
      await this.kill(port);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startNode(port: number): Promise<void> {
    this.children.set(port, spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dirs.get(port) ?? this.dir, '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--appendonly', 'yes', '--save', '',
    ], { stdio: 'ignore' }));
    await until(() => isListening('127.0.0.1', port), 10_000, `the cluster node on port ${port} to listen`);
  }
}
