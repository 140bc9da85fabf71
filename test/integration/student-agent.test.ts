import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load-config.js';
import type { Report, ReportOf } from '../../contracts/index.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { FakeSensServer } from '../support/fake-sens-server.js';
import { cleanupEnv, isolatedEnv, killHard, post, spawnRole, testLogger } from '../support/nexus-under-test.js';
import { SseRecorder } from '../support/sse-client.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const credentials = { accessKey: 'AKID-TEST', secretKey: 'secret-test', serviceId: 'ncp:kkobizmsg:kr:2712345:school', plusFriendId: '@nexus-school' };
const sens = new FakeSensServer(credentials);
const tenant = { org_id: 'acme', project_id: 'students' };
const otherTenant = { org_id: 'globex', project_id: 'students' };
const blobDir = await mkdtemp(join(tmpdir(), 'nexus-student-blobs-'));
await sens.start();
const env = isolatedEnv('student', {
  NEXUS_BLOB_DIR: blobDir,
  NEXUS_MAX_UPLOAD_BYTES: '200000',
  // A killed worker's attempt is retried after this; short, so the crash test does not wait five minutes.
  NEXUS_AGENT_TIMEOUT: '8s',
  ...sens.env('grades_v1'),
  SENS_BATCH_SIZE: '10',
});
const { logger, logFile } = testLogger(env);
const config = loadConfig(env);
let api: NexusRuntime;
let bridge: NexusRuntime;
let worker: ChildProcess;
let baseUrl: string;

beforeAll(async () => {
  api = await startNexus(config, { role: 'api', logger });
  bridge = await startNexus(config, { role: 'bridge', logger });
  baseUrl = `http://127.0.0.1:${api.api?.port}`;
  // The worker is a real child process, so the crash test can SIGKILL it.
  worker = await spawnRole('worker', env, logFile);
});
afterAll(async () => {
  if (worker) await killHard(worker);
  await bridge?.stop();
  await api?.stop();
  await sens.stop();
  await cleanupEnv(env);
  await rm(blobDir, { recursive: true, force: true });
});

const TEMPLATE = '{{student}} 학생({{class}})의 3월 성적: 국어 {{국어}}점, 수학 {{수학}}점';
const BAD_PHONES = ['02-123-4567', '010-123-456', '연락처 없음', '', '+1 555 0100', '070-1234-5678', '010-1234-56789', '1588-1234', '011-12-3456', 'abc'];

/** 50 rows; every fifth row (4, 9, 14, …) has a bad guardian phone. `seed` keeps each test's phones apart. */
async function gradeBook(seed: number): Promise<{ bytes: Uint8Array; valid: Array<{ row: number; phone: string; message: string }>; invalidRows: number[] }> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('3월 성적');
  sheet.addRow(['번호', '이름', '반', '보호자 연락처', '국어', '수학']);
  const valid: Array<{ row: number; phone: string; message: string }> = [];
  const invalidRows: number[] = [];
  for (let i = 0; i < 50; i++) {
    const row = i + 2;
    const name = `학생${seed}-${i}`;
    const klass = `3-${'ABC'[i % 3]}`;
    const [korean, math] = [60 + (i % 40), 100 - (i % 30)];
    if (i % 5 === 3) {
      sheet.addRow([i + 1, name, klass, BAD_PHONES[invalidRows.length % BAD_PHONES.length], korean, math]);
      invalidRows.push(row);
      continue;
    }
    const phone = `010${seed}${String(i).padStart(3, '0')}${String(1000 + i)}`;
    sheet.addRow([i + 1, name, klass, `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`, korean, math]);
    valid.push({ row, phone, message: `${name} 학생(${klass})의 3월 성적: 국어 ${korean}점, 수학 ${math}점` });
  }
  return { bytes: new Uint8Array(await workbook.xlsx.writeBuffer()), valid, invalidRows };
}

async function upload(bytes: Uint8Array, name: string, type: string, who = tenant) {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)], { type }), name);
  const response = await fetch(`${baseUrl}/files`, { method: 'POST', headers: { 'x-org-id': who.org_id, 'x-project-id': who.project_id }, body: form });
  return { status: response.status, body: (await response.json()) as any };
}

async function command(label: string, params: Record<string, unknown>) {
  const correlationId = `${label}-${Date.now()}`;
  const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
  const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'student.excel_kakao', params, correlation_id: correlationId }, tenant);
  expect(res.status).toBe(202);
  return { correlationId, stream };
}

const ofType = <T extends Report['report_type']>(reports: Report[], type: T) => reports.filter((r): r is ReportOf<T> => r.report_type === type);
const settle = () => new Promise((r) => setTimeout(r, 1500));
const totalDeliveries = (phones: string[]) => phones.reduce((sum, p) => sum + sens.deliveriesTo(p), 0);

describe('POST /files', () => {
  it('stores an .xlsx (multipart) or a .csv (raw body) and answers 201 with its id and digest', async () => {
    const { bytes } = await gradeBook(1);
    const xlsx = await upload(bytes, '3월 성적.xlsx', XLSX);
    expect(xlsx.status).toBe(201);
    expect(xlsx.body).toEqual({
      file_id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: '3월 성적.xlsx', size: bytes.byteLength, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), content_type: XLSX,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sheet: { worksheet: '3월 성적', worksheets: ['3월 성적'], rows: 50, columns: ['번호', '이름', '반', '보호자 연락처', '국어', '수학'] },
    });

    const csv = await post(baseUrl, '/files', '이름,연락처\n김민준,010-1234-5678\n', tenant, { 'content-type': 'text/csv', 'x-filename': encodeURIComponent('명단.csv') });
    expect(csv.status).toBe(201);
    expect(csv.body).toMatchObject({ name: '명단.csv', content_type: 'text/csv', sheet: { worksheet: null, worksheets: [], rows: 1, columns: ['이름', '연락처'] } });
  });

  it('refuses a spreadsheet no agent could read with 422 in words, and keeps nothing of it', async () => {
    const who = { org_id: 'acme', project_id: 'files-refused' };
    const blank = await post(baseUrl, '/files', '\n\n\n', who, { 'content-type': 'text/csv', 'x-filename': 'blank.csv' });
    expect(blank.status).toBe(422);
    expect(blank.body.error).toMatchObject({ code: 'spreadsheet_invalid', message: 'the spreadsheet has no rows' });
    const empty = new ExcelJS.Workbook();
    const noSheet = await upload(new Uint8Array(await empty.xlsx.writeBuffer()), 'empty.xlsx', XLSX, who);
    expect(noSheet.status).toBe(422);
    expect(noSheet.body.error.code).toBe('spreadsheet_invalid');
    const listed = await fetch(`${baseUrl}/files`, { headers: { 'x-org-id': who.org_id, 'x-project-id': who.project_id } });
    expect(await listed.json()).toEqual({ files: [], more: false });
  });

  it('lists the tenant’s files newest first with what is in them, by kind, and never another tenant’s', async () => {
    const who = { org_id: 'acme', project_id: 'files-list' };
    const list = async (query = '', t = who) => {
      const res = await fetch(`${baseUrl}/files${query}`, { headers: { 'x-org-id': t.org_id, 'x-project-id': t.project_id } });
      return { status: res.status, body: (await res.json()) as any };
    };
    const first = await post(baseUrl, '/files', '이름,연락처,반\n김민준,010-1234-5678,3-A\n이서연,010-2345-6789,3-B\n', who, { 'content-type': 'text/csv', 'x-filename': encodeURIComponent('명단.csv') });
    expect(first.status).toBe(201);
    const { bytes } = await gradeBook(9);
    const second = await upload(bytes, '성적.xlsx', XLSX, who);
    expect(second.status).toBe(201);

    const all = await list();
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ files: [second.body, first.body], more: false });
    expect(all.body.files[1].sheet).toEqual({ worksheet: null, worksheets: [], rows: 2, columns: ['이름', '연락처', '반'] });
    expect((await list('?kind=spreadsheet')).body.files).toHaveLength(2);
    expect((await list('?kind=outbox')).body).toEqual({ files: [], more: false });
    expect((await list('?limit=1')).body).toEqual({ files: [second.body], more: true });
    expect((await list('', otherTenant)).body.files.map((f: { file_id: string }) => f.file_id)).not.toContain(first.body.file_id);
    for (const bad of ['?limit=0', '?limit=201', '?limit=abc', '?limit=1.5', '?kind=secrets']) {
      const res = await list(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code, bad).toBe('invalid_request');
    }
  });

  it('refuses a file over NEXUS_MAX_UPLOAD_BYTES with 413', async () => {
    const res = await upload(new Uint8Array(300_000).fill(0x41), 'big.csv', 'text/csv');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('refuses anything but a real .xlsx or .csv with 415', async () => {
    expect((await upload(Buffer.from('%PDF-1.7'), 'grades.pdf', 'application/pdf')).status).toBe(415);
    const renamed = await upload(Buffer.from('not a zip at all'), 'grades.xlsx', XLSX);
    expect(renamed.status).toBe(415);
    expect(renamed.body.error.code).toBe('unsupported_media_type');
  });

  it("requires tenant headers, and never shows one tenant another's file", async () => {
    const noTenant = await fetch(`${baseUrl}/files`, { method: 'POST', body: 'x' });
    expect(noTenant.status).toBe(400);
    const { bytes } = await gradeBook(1);
    const { body } = await upload(bytes, 'g.xlsx', XLSX);
    const own = await fetch(`${baseUrl}/files/${body.file_id}`, { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(own.status).toBe(200);
    const foreign = await fetch(`${baseUrl}/files/${body.file_id}`, { headers: { 'x-org-id': otherTenant.org_id, 'x-project-id': otherTenant.project_id } });
    expect(foreign.status).toBe(404);
    const traversal = await fetch(`${baseUrl}/files/..%2F..%2Fetc`, { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(traversal.status).toBe(404);
  });
});

describe('POST /agents/{agent}/preview', () => {
  const preview = (agent: string, params: unknown, who = tenant) => post(baseUrl, `/agents/${agent}/preview`, { params }, who).then((r) => ({ status: r.status, body: r.body }));

  it('shows what a send would do (recipients, rows left out and why, the first messages) and sends nothing', async () => {
    const book = await gradeBook(6);
    const { body: file } = await upload(book.bytes, '미리보기.xlsx', XLSX);
    const res = await preview('student.excel_kakao', { file_id: file.file_id, template: TEMPLATE, channel: 'alimtalk' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agent: 'student.excel_kakao', risk_level: 'RED', title: '학부모 40명에게 카카오 알림톡 발송' });
    expect(res.body.details).toMatchObject({
      channel: 'alimtalk', rows: 50, recipients: 40, invalid_count: 10,
      file: { file_id: file.file_id, name: '미리보기.xlsx', sha256: file.sha256 },
      columns: { student: '이름', phone: '보호자 연락처', class: '반', number: '번호' },
    });
    expect(res.body.details.invalid_rows.map((r: { row: number }) => r.row)).toEqual(book.invalidRows);
    expect(res.body.details.samples).toEqual(book.valid.slice(0, 3).map((v) => ({ row: v.row, to: v.phone, message: v.message })));
    // The outbox channel is YELLOW: the preview says so, and still records nothing.
    expect((await preview('student.excel_kakao', { file_id: file.file_id, template: TEMPLATE })).body.risk_level).toBe('YELLOW');
    await settle();
    expect(totalDeliveries(book.valid.map((v) => v.phone))).toBe(0);
    const outboxes = await fetch(`${baseUrl}/files?kind=outbox`, { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(((await outboxes.json()) as { files: Array<{ name: string }> }).files.filter((f) => f.name.includes('미리보기'))).toEqual([]);
  });

  it('refuses what a command would refuse, and says why a preview cannot be made', async () => {
    const book = await gradeBook(7);
    const { body: file } = await upload(book.bytes, 'why.xlsx', XLSX);
    expect((await preview('no_such_agent', {})).status).toBe(404);
    const bad = await preview('student.excel_kakao', { file_id: file.file_id, template: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_params', issues: [expect.objectContaining({ path: 'params.template' })] });
    const unknownField = await preview('student.excel_kakao', { file_id: file.file_id, template: '{{학생}}의 {{과학}} 점수' });
    expect(unknownField.status).toBe(422);
    expect(unknownField.body.error).toMatchObject({ code: 'preview_failed', issues: [{ path: 'params', message: 'template_field_unknown' }] });
    expect(unknownField.body.error.message).toContain('{{과학}}');
    // Another tenant's file does not exist for this one, in a preview as in a command.
    const foreign = await preview('student.excel_kakao', { file_id: file.file_id, template: TEMPLATE }, otherTenant);
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.issues).toEqual([{ path: 'params', message: 'file_not_found' }]);
    expect((await post(baseUrl, '/agents/student.excel_kakao/preview', { params: {}, extra: 1 }, tenant)).status).toBe(400);
  });
});

describe('student.excel_kakao', () => {
  it("fails the command (file_not_found, nothing asked) for another tenant's file", async () => {
    const { bytes } = await gradeBook(2);
    const { body } = await upload(bytes, 'other.xlsx', XLSX, otherTenant);
    const { stream } = await command('foreign-file', { file_id: body.file_id, template: TEMPLATE, channel: 'alimtalk' });
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_failed'), 20_000, 'task_failed');
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_failed']);
    expect(ofType(stream.reports, 'task_failed')[0]?.payload.error).toMatchObject({ code: 'file_not_found', retryable: false });
    stream.close();
  });

  it('asks first (RED) with the recipient count, invalid rows and samples; approve sends every valid row exactly once', async () => {
    const book = await gradeBook(3);
    const { body } = await upload(book.bytes, '3월 성적.xlsx', XLSX);
    const { stream } = await command('approve', { file_id: body.file_id, template: TEMPLATE, channel: 'alimtalk' });
    const [ask] = ofType(await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 20_000, 'ask'), 'ask_created');
    if (!ask) throw new Error('no ask');
    expect(ask.payload.risk_level).toBe('RED');
    const preview = (ask.payload as { preview?: any }).preview;
    expect(preview).toMatchObject({ channel: 'alimtalk', rows: 50, recipients: 40, invalid_count: 10 });
    expect(preview.invalid_rows.map((r: { row: number }) => r.row)).toEqual(book.invalidRows);
    expect(preview.invalid_rows.every((r: { reason: string }) => r.reason.length > 0)).toBe(true);
    expect(preview.samples).toEqual(book.valid.slice(0, 3).map((v) => ({ row: v.row, to: v.phone, message: v.message })));
    await settle();
    expect(totalDeliveries(book.valid.map((v) => v.phone))).toBe(0);

    const decided = await post(baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: ask.payload.action_digest }, tenant);
    expect(decided.status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'), 30_000, 'completion');
    const [done] = ofType(stream.reports, 'task_completed');
    expect(done?.payload.result).toMatchObject({ channel: 'alimtalk', recipients: 40, sent: 40, batches: 4, rejected: [] });

    for (const v of book.valid) expect(sens.deliveriesTo(v.phone), `row ${v.row}`).toBe(1);
    const delivered = sens.accepted.filter((m) => book.valid.some((v) => v.phone === m.to));
    expect(delivered.map((m) => m.content).sort()).toEqual(book.valid.map((v) => v.message).sort());
    expect(delivered.every((m) => m.templateCode === 'grades_v1' && m.plusFriendId === credentials.plusFriendId)).toBe(true);
    expect(sens.rejectedSignatures).toEqual([]);

    const progress = ofType(stream.reports, 'task_progress');
    expect(progress.map((p) => [p.payload.done, p.payload.total])).toEqual([[10, 40], [20, 40], [30, 40], [40, 40]]);
    stream.close();
  });

  it('sends nothing when denied', async () => {
    const book = await gradeBook(4);
    const { body } = await upload(book.bytes, 'deny.xlsx', XLSX);
    const { stream } = await command('deny', { file_id: body.file_id, template: TEMPLATE, channel: 'alimtalk' });
    const [ask] = ofType(await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 20_000, 'ask'), 'ask_created');
    expect((await post(baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { action_digest: ask?.payload.action_digest, decision: 'deny', reason: '내용 확인 필요' }, tenant)).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'task_cancelled');
    await settle();
    expect(totalDeliveries(book.valid.map((v) => v.phone))).toBe(0);
    stream.close();
  });

  it('records the messages in the outbox by default, without asking and without sending', async () => {
    const book = await gradeBook(5);
    const { body } = await upload(book.bytes, 'outbox.xlsx', XLSX);
    const { stream } = await command('outbox', { file_id: body.file_id, template: TEMPLATE });
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'), 20_000, 'completion');
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    const result = ofType(stream.reports, 'task_completed')[0]?.payload.result as any;
    expect(result).toMatchObject({ channel: 'outbox', recipients: 40, sent: 0, invalid_count: 10 });
    expect(result.messages.map((m: any) => ({ row: m.row, phone: m.to, message: m.message }))).toEqual(book.valid);
    const file = await fetch(`${baseUrl}/files/${result.outbox_file_id}`, { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(((await file.json()) as any).messages).toHaveLength(40);
    await settle();
    expect(totalDeliveries(book.valid.map((v) => v.phone))).toBe(0);
    stream.close();
  });

  it('resumes after the worker is SIGKILLed mid-send: every recipient exactly once, none skipped', async () => {
    const book = await gradeBook(6);
    const phones = book.valid.map((v) => v.phone);
    const { body } = await upload(book.bytes, 'crash.xlsx', XLSX);
    const { stream } = await command('crash', { file_id: body.file_id, template: TEMPLATE, channel: 'alimtalk' });
    const [ask] = ofType(await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 20_000, 'ask'), 'ask_created');
    sens.delayMs = 400;
    try {
      expect((await post(baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { action_digest: ask?.payload.action_digest, decision: 'approve' }, tenant)).status).toBe(202);
      // Kill while the second batch is at the provider but not yet answered: the worst moment, a batch in doubt.
      const deadline = Date.now() + 20_000;
      while (totalDeliveries(phones) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await killHard(worker);
      const atKill = totalDeliveries(phones);
      expect(atKill).toBe(20);
      sens.delayMs = 100;
      worker = await spawnRole('worker', env, logFile);
      await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'), 60_000, 'completion after restart');
    } finally {
      sens.delayMs = 0;
    }
    const result = ofType(stream.reports, 'task_completed')[0]?.payload.result as any;
    expect(result).toMatchObject({ sent: 40, recipients: 40, reconciled: 10, resumed_at_batch: 1 });
    for (const v of book.valid) expect(sens.deliveriesTo(v.phone), `row ${v.row}`).toBe(1);
    expect(sens.listCalls).toBeGreaterThan(0);
    const progress = ofType(stream.reports, 'task_progress');
    expect(new Set(progress.map((p) => p.payload.done))).toEqual(new Set([10, 20, 30, 40]));
    stream.close();
  }, 120_000);
});
