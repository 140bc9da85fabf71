import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf } from '../../contracts/index.js';
import { LocalBlobStore } from '../../infra/files/local-blob-store.js';
import { XLSX_TYPE } from '../../infra/files/spreadsheet-kind.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus, temporalClient } from '../support/nexus-under-test.js';
import { historyActivities } from '../support/history-activities.js';
import { peakRssGrowth } from '../support/peak-rss.js';
import { SseRecorder } from '../support/sse-client.js';
import { buildZip, deflatedEntry, honestBomb, lyingBomb, manySmallSheets } from '../support/zip-builder.js';

const MiB = 1024 * 1024;
const tenant = { org_id: 'acme', project_id: 'bombs' };
const blobDir = await mkdtemp(join(tmpdir(), 'nexus-bomb-blobs-'));
const env = isolatedEnv('bomb', { NEXUS_BLOB_DIR: blobDir });
const { logger } = testLogger(env);
let nexus: RunningNexus;
let temporal: Client;

beforeAll(async () => {
  nexus = await bootNexus(env, logger);
  temporal = await temporalClient(env);
});
afterAll(async () => {
  await temporal?.connection.close();
  await nexus?.stop();
  await cleanupEnv(env);
  await rm(blobDir, { recursive: true, force: true });
});

/** The shape of the file: 600 MiB of zeros in about 600 KiB, named like a worksheet. */
const HONEST_BOMB = honestBomb(600);
/** The same data declaring 64 KiB, so its directory passes and only a bounded inflation can catch it. */
const LYING_BOMB = lyingBomb(600);
const entry = deflatedEntry('xl/workbook.xml', '<workbook/>');
/** Starts like a zip (so it is not a 415), but its one entry's data swallows a second entry. */
const OVERLAPPING = buildZip([{ ...entry, flags: 0x0008, compressedSize: entry.data.byteLength + 31 + entry.data.byteLength }, { ...entry, name: 'b' }]);

async function upload(bytes: Uint8Array, name = 'grades.xlsx') {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)], { type: XLSX_TYPE }), name);
  const response = await fetch(`${nexus.baseUrl}/files`, { method: 'POST', headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id }, body: form });
  return { status: response.status, body: (await response.json()) as any };
}

async function storedFiles(): Promise<number> {
  return (await readdir(join(blobDir, tenant.org_id, tenant.project_id)).catch(() => [])).length;
}

const ofType = <T extends Report['report_type']>(reports: Report[], type: T) => reports.filter((r): r is ReportOf<T> => r.report_type === type);

describe('POST /files refuses zip bombs before storing them', () => {
  it.each([
    { label: 'an honest bomb (600 MiB declared)', bomb: HONEST_BOMB },
    { label: 'a lying bomb (600 MiB declared as 64 KiB)', bomb: LYING_BOMB },
  ])('$label: 413 spreadsheet_too_large, well under a second, memory flat, nothing stored', async ({ bomb }) => {
    expect(bomb.byteLength).toBeLessThan(700 * 1024);
    const before = await storedFiles();
    const { result, growth, ms } = await peakRssGrowth(() => upload(bomb));
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ error: { code: 'spreadsheet_too_large', message: expect.stringMatching(/^the spreadsheet unpacks to more than NEXUS accepts: /) } });
    expect(ms).toBeLessThan(500);
    expect(growth).toBeLessThan(48 * MiB);
    logger.info({ bytes: bomb.byteLength, ms: Math.round(ms), rss_growth_mib: +(growth / MiB).toFixed(1) }, 'bomb refused at upload');
    expect(await storedFiles()).toBe(before);
  });

  it('refuses a zip it cannot read safely with 422 spreadsheet_invalid, and stores nothing', async () => {
    const before = await storedFiles();
    const res = await upload(OVERLAPPING);
    expect(res.status).toBe(422);
    expect(res.body.error).toEqual({ code: 'spreadsheet_invalid', message: expect.stringMatching(/overlaps/) });
    const truncated = await upload(HONEST_BOMB.subarray(0, 4096));
    expect(truncated.status).toBe(422);
    expect(truncated.body.error.code).toBe('spreadsheet_invalid');
    expect(await storedFiles()).toBe(before);
  });

  it('refuses a workbook of many small sheets that add up with 413, and stores nothing', async () => {
    const before = await storedFiles();
    const res = await upload(manySmallSheets(120, 255));
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: 'spreadsheet_too_large', message: expect.stringMatching(/120 worksheets; at most 32 are read/) });
    expect(await storedFiles()).toBe(before);
  });

  it('still stores an ordinary workbook', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('명단').addRows([['이름', '연락처'], ['김민준', '010-1234-5678']]);
    const res = await upload(new Uint8Array(await book.xlsx.writeBuffer()));
    expect(res.status).toBe(201);
    expect(res.body.content_type).toBe(XLSX_TYPE);
  });
});

describe('student.excel_kakao refuses a bomb that reached the blob store another way', () => {
  const store = new LocalBlobStore(blobDir, 64 * 1024 * 1024);

  it.each([
    { label: 'an honest bomb', bytes: HONEST_BOMB, code: 'spreadsheet_too_large' },
    { label: 'a lying bomb', bytes: LYING_BOMB, code: 'spreadsheet_too_large' },
    { label: 'an overlapping zip', bytes: OVERLAPPING, code: 'file_unreadable' },
  ])('$label: task_failed with $code, not retried', async ({ label, bytes, code }) => {
    const meta = await store.put(tenant, `${label}.xlsx`, XLSX_TYPE, bytes);
    const correlationId = `bomb-${label.replace(/\W+/g, '-')}-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
    try {
      // The worker runs in this process too, so its memory shows here: a bomb inflated would be hundreds of MiB.
      const { growth, ms } = await peakRssGrowth(async () => {
        const res = await post(nexus.baseUrl, '/sidecar/command', {
          type: 'agent.run',
          agent: 'student.excel_kakao',
          params: { file_id: meta.file_id, template: '{{student}} 학생 안내' },
          correlation_id: correlationId,
        }, tenant);
        expect(res.status).toBe(202);
        await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_failed' || r.report_type === 'task_completed'), 20_000, 'task_failed');
      });
      logger.info({ label, ms: Math.round(ms), rss_growth_mib: +(growth / MiB).toFixed(1) }, 'bomb refused by the agent');
      expect(ms).toBeLessThan(5_000);
      expect(growth).toBeLessThan(96 * MiB);
      // Refused while being assessed: the agent never started, so the stream never says it did.
      expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_failed']);
      const [failed] = ofType(stream.reports, 'task_failed');
      expect(failed?.payload.error).toMatchObject({ code, retryable: false });
      // Not retried: the preview is tried once with command_accepted (publishAndAssess), then by the assessAction
      // local activity, whose marker records the attempt that finished it (its policy retries a retryable failure,
      // so attempt 1 says final).
      const attempts = await historyActivities(temporal.workflow.getHandle(failed?.workflow_id ?? ''));
      expect(attempts.filter((a) => ['publishAndAssess', 'assessAction'].includes(a.type))).toEqual([
        { type: 'publishAndAssess', attempt: 1 },
        { type: 'assessAction', attempt: 1 },
      ]);
      expect(attempts.every((a) => a.attempt === 1)).toBe(true);
    } finally {
      stream.close();
    }
  });
});
