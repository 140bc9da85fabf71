import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isListening } from '../../runtime/devserver/port-check.js';
import { freeRestartablePort } from './local-server.js';
import { killHard } from './nexus-under-test.js';

/**
 * A Redis of a test's own (fsync on every write) that it may kill and restart on the same port without disturbing
 * anything else; what it held survives the restart, as on a real server with an append-only file.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly dir: string) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freeRestartablePort(), mkdtempSync(join(tmpdir(), 'nexus-redis-')));
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async restart(): Promise<void> {
    if (this.child) return;
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await isListening('127.0.0.1', this.port))) {
      if (Date.now() > deadline) throw new Error(`the private redis-server on port ${this.port} did not listen within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL: no goodbye to its clients, as when a machine dies. */
  async kill(): Promise<void> {
    if (!this.child) return;
    await killHard(this.child);
    this.child = undefined;
  }

  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
