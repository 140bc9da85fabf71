import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
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
  /** Any key works on moto; one pair, so a test's own client and the NEXUS it configures agree. */
  readonly credentials = { accessKeyId: 'nexus-test', secretAccessKey: 'nexus-test-secret' };

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

  /** A client of this server, made the way NEXUS's S3 store makes one (path-style, as for MinIO). */
  client(): S3Client {
    return new S3Client({ region: 'us-east-1', endpoint: this.endpoint, forcePathStyle: true, credentials: this.credentials });
  }

  async createBucket(s3: S3Client, bucket: string): Promise<void> {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }

  /** What NEXUS's configuration needs to keep its files in `bucket` on this server. */
  nexusEnv(bucket: string, prefix: string): Record<string, string> {
    return {
      NEXUS_BLOB_STORE: 's3', NEXUS_S3_BUCKET: bucket, NEXUS_S3_ENDPOINT: this.endpoint, NEXUS_S3_FORCE_PATH_STYLE: 'true',
      NEXUS_S3_ACCESS_KEY_ID: this.credentials.accessKeyId, NEXUS_S3_SECRET_ACCESS_KEY: this.credentials.secretAccessKey, NEXUS_S3_PREFIX: prefix,
    };
  }

  async stop(): Promise<void> {
    if (this.child) await killHard(this.child);
  }
}
