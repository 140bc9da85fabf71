import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportOf } from '../../contracts/index.js';
import { loadConfig } from '../../runtime/config/load-config.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { MotoServer } from '../support/moto-server.js';
import { cleanupEnv, isolatedEnv, killHard, post, spawnRole, testLogger } from '../support/nexus-under-test.js';
import { SseRecorder } from '../support/sse-client.js';

// The API and the worker as two "hosts": separate processes with separate data folders, sharing only the bucket.
const moto = new MotoServer();
const tenant = { org_id: 'acme', project_id: 'uploads-s3' };
const bucket = 'nexus-uploads-test';
const folders: string[] = [];
let env: Record<string, string>;
let s3: S3Client;
let nexus: NexusRuntime;
let bridge: NexusRuntime;
let worker: ChildProcess;
let baseUrl: string;

beforeAll(async () => {
  await moto.start();
  s3 = moto.client();
  await moto.createBucket(s3, bucket);
  const apiData = await mkdtemp(join(tmpdir(), 'nexus-s3-api-'));
  const workerData = await mkdtemp(join(tmpdir(), 'nexus-s3-worker-'));
  folders.push(apiData, workerData);
  env = isolatedEnv('uploads-s3', {
    ...moto.nexusEnv(bucket, 'uploads-s3/'),
    NEXUS_DATA_DIR: apiData,
  });
  const { logger, logFile } = testLogger(env);
  nexus = await startNexus(loadConfig(env), { role: 'api', logger });
  bridge = await startNexus(loadConfig(env), { role: 'bridge', logger });
  baseUrl = `http://127.0.0.1:${nexus.api?.port}`;
  worker = await spawnRole('worker', { ...env, NEXUS_DATA_DIR: workerData }, logFile);
});
afterAll(async () => {
  if (worker) await killHard(worker);
  await bridge?.stop();
  await nexus?.stop();
  s3?.destroy();
  await moto.stop();
  if (env) await cleanupEnv(env);
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe('uploads in an S3 bucket', () => {
  it('an upload through the API is read by a worker on another "host", and the outbox it writes is read back through the API', async () => {
    const csv = '번호,이름,반,보호자 연락처,국어\n1,김민준,3-A,010-2345-6789,91\n2,이서연,3-B,010-3456-7890,88\n';
    const uploaded = await post(baseUrl, '/files', csv, tenant, { 'content-type': 'text/csv', 'x-filename': encodeURIComponent('성적.csv') });
    expect(uploaded.status).toBe(201);
    const fileId = uploaded.body.file_id as string;
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `uploads-s3/acme/uploads-s3/${fileId}.bin` }))).ContentLength).toBe(Buffer.byteLength(csv));

    const correlationId = `s3-outbox-${Date.now()}`;
    const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
    const res = await post(baseUrl, '/sidecar/command', {
      type: 'agent.run', agent: 'student.excel_kakao', params: { file_id: fileId, template: '{{student}}: 국어 {{국어}}점' }, correlation_id: correlationId,
    }, tenant);
    expect(res.status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'), 30_000, 'the outbox run to end');
    stream.close();
    const completed = reports.find((r): r is ReportOf<'task_completed'> => r.report_type === 'task_completed');
    const result = completed?.payload.result as { outbox_file_id: string; recipients: number };
    expect(result).toMatchObject({ recipients: 2 });

    const outbox = await fetch(`${baseUrl}/files/${result.outbox_file_id}`, { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(outbox.status).toBe(200);
    expect(((await outbox.json()) as { messages: Array<{ message: string }> }).messages.map((m) => m.message)).toEqual(['김민준: 국어 91점', '이서연: 국어 88점']);
    // Neither process kept a file on its own disk.
    for (const folder of folders) expect((await readdir(folder)).filter((name) => name === 'blobs')).toEqual([]);
    // Another tenant cannot read either file through the API.
    const foreign = await fetch(`${baseUrl}/files/${fileId}`, { headers: { 'x-org-id': 'globex', 'x-project-id': 'uploads-s3' } });
    expect(foreign.status).toBe(404);
  });
});
