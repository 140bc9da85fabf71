import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from './local-server.js';
import { killHard } from './nexus-under-test.js';
import { until } from './until.js';

const MOTO_SERVER = resolve('.tools/moto-venv/bin/moto_server');

/**
 * moto's S3-compatible server (runtime/scripts/ensure-moto.sh installs it), on a port of its own: the stand-in for
 * a cloud bucket that the official AWS SDK talks to over HTTP, as it would to S3 or MinIO.
 */
export class MotoServer {
  private child: ChildProcess | undefined;
  endpoint = '';

  async start(): Promise<string> {
    if (!existsSync(MOTO_SERVER)) throw new Error(`${MOTO_SERVER} is missing: run runtime/scripts/ensure-moto.sh`);
    const port = await freePort();
    this.endpoint = `http://127.0.0.1:${port}`;
    this.child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const child = this.child;
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
      return fetch(`${this.endpoint}/moto-api/`).then(() => true, () => false);
    }, 30_000, `moto_server to answer on ${this.endpoint}`);
    return this.endpoint;
  }

  async stop(): Promise<void> {
    if (this.child) await killHard(this.child);
  }
}
