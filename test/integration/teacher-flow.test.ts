import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf } from '../../contracts/index.js';
import { FakeSensServer } from '../support/fake-sens-server.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';

/**
 * The teacher's flow, end to end, on the real services with a local SENS: a grade sheet uploaded, a command to send
 * it to the parents on KakaoTalk (RED), the ask arriving on the principal's KakaoTalk as an AlimTalk with one
 * button, one tap to the confirmation page, one confirmation, and the parents' messages sent.
 */
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const credentials = { accessKey: 'AKID-TEACHER', secretKey: 'secret-teacher', serviceId: 'ncp:kkobizmsg:kr:2712345:school', plusFriendId: '@nexus-school' };
const sens = new FakeSensServer(credentials);
const PRINCIPAL_PHONE = '01090000001';
const tenant = { org_id: 'school', project_id: 'grade-3' };
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-teacher-policies-'));
const blobDir = mkdtempSync(join(tmpdir(), 'nexus-teacher-blobs-'));
let nexus: RunningNexus;
let env: Record<string, string>;

beforeAll(async () => {
  await sens.start();
  copyFileSync('policies/default.json', join(policyDir, 'default.json'));
  mkdirSync(join(policyDir, 'school'));
  writeFileSync(join(policyDir, 'school', 'grade-3.json'), JSON.stringify({
    rules: [],
    approval: { notify: [{ channel: 'alimtalk', phone: '010-9000-0001', approver: 'principal-park', stages: ['ask'] }] },
  }));
  env = isolatedEnv('teacher', {
    NEXUS_POLICY_DIR: policyDir,
    NEXUS_BLOB_DIR: blobDir,
    ...sens.env('grades_v1'),
    SENS_NOTIFY_TEMPLATE_CODE: 'approval_v1',
    // A SENS that does not answer within a second is retried (the reconciliation case below).
    SENS_TIMEOUT: '1s',
    NEXUS_NOTIFY_RETRY_INTERVAL: '100ms',
    PUBLIC_URL: 'https://nexus.school.example',
  });
  nexus = await bootNexus(env, testLogger(env).logger);
}, 120_000);

afterAll(async () => {
  await nexus?.stop();
  await sens.stop();
  await cleanupEnv(env);
  await rm(blobDir, { recursive: true, force: true });
});

async function gradeSheet(seed: string): Promise<{ bytes: Uint8Array; phones: string[] }> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('성적');
  sheet.addRow(['이름', '반', '보호자 연락처', '국어']);
  const phones: string[] = [];
  for (let i = 0; i < 3; i++) {
    const phone = `0105${seed}${String(i).padStart(3, '0')}`;
    phones.push(phone);
    sheet.addRow([`학생${i}`, '3-2', `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`, 90 + i]);
  }
  return { bytes: new Uint8Array(await workbook.xlsx.writeBuffer()), phones };
}

async function sendGrades(label: string) {
  const { bytes, phones } = await gradeSheet(label === 'flow' ? '1234' : '5678');
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)], { type: XLSX }), '3학년 2반 성적.xlsx');
  const uploaded = await fetch(`${nexus.baseUrl}/files`, { method: 'POST', headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id, 'x-user-id': 'teacher-kim' }, body: form });
  expect(uploaded.status).toBe(201);
  const { file_id: fileId } = (await uploaded.json()) as { file_id: string };
  const correlationId = `teacher-${label}-${Date.now()}`;
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
  const sent = await post(nexus.baseUrl, '/sidecar/command', {
    type: 'agent.run', agent: 'student.excel_kakao', correlation_id: correlationId,
    params: { file_id: fileId, template: '{{이름}} 학생의 국어 점수는 {{국어}}점입니다', channel: 'alimtalk' },
  }, tenant, { 'x-user-id': 'teacher-kim' });
  expect(sent.status).toBe(202);
  const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'the ask');
  const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
  if (!ask) throw new Error('no ask');
  return { stream, ask: ask.payload, phones, commandId: sent.body.command_id as string };
}

const notices = (askId: string) => sens.accepted.filter((m) => m.templateCode === 'approval_v1' && m.to === PRINCIPAL_PHONE && m.content.includes(`요청 번호: ${askId.slice(0, 8)}`));
const notification = (reports: Report[]) => reports.find((r): r is ReportOf<'task_progress'> => r.report_type === 'task_progress' && r.payload.notification !== undefined)?.payload.notification;

describe('the teacher\'s flow', () => {
  it('a grade sheet, the ask on the principal\'s KakaoTalk, one tap, one confirmation, the parents\' messages sent', async () => {
    const { stream, ask, phones } = await sendGrades('flow');
    expect(ask.risk_level).toBe('RED');
    await until(async () => notices(ask.ask_id).length === 1, 20_000, 'the AlimTalk to the principal');
    const [notice] = notices(ask.ask_id);
    expect(notice?.content.split('\n')[0]).toBe('[NEXUS] 승인 요청');
    expect(notice?.content).toContain(ask.title);
    const link = notice?.buttons?.[0]?.linkMobile ?? '';
    expect(notice?.buttons).toEqual([{ type: 'WL', name: '검토하고 결정하기', linkMobile: link, linkPc: link }]);
    expect(link).toMatch(/^https:\/\/nexus\.school\.example\/approve\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    // Nothing sent to the parents while the principal has not decided.
    expect(phones.map((p) => sens.deliveriesTo(p))).toEqual([0, 0, 0]);

    // One tap: the confirmation page, in Korean, on the phone.
    const page = await fetch(new URL(new URL(link).pathname, nexus.baseUrl), { headers: { 'accept-language': 'ko-KR' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('승인');
    expect(html).toContain('3학년 2반 성적.xlsx');
    // One confirmation.
    const confirmed = await fetch(new URL(new URL(link).pathname, nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ko-KR' }, body: 'decision=approve&reason=%ED%99%95%EC%9D%B8' });
    expect(confirmed.status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the parents\' messages sent');
    stream.close();

    expect(notification(reports)).toMatchObject({ ask_id: ask.ask_id, channel: 'alimtalk', approver: 'principal-park', status: 'sent', attempts: 1 });
    expect(reports.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved')?.payload).toMatchObject({ decided_by: 'principal-park', decision: 'approve', reason: '확인' });
    expect(phones.map((p) => sens.deliveriesTo(p))).toEqual([1, 1, 1]);
    expect(sens.accepted.filter((m) => m.to === phones[2]).map((m) => [m.templateCode, m.content])).toEqual([['grades_v1', '학생2 학생의 국어 점수는 92점입니다']]);
  });

  it('sends the principal one AlimTalk when SENS took it but its answer was lost: the retry asks SENS first', async () => {
    // SENS records the message and answers after 3 s; NEXUS gives up waiting after 1 s and tries again.
    sens.delayMs = 3_000;
    const { stream, ask, commandId } = await sendGrades('lost-answer');
    await until(async () => notices(ask.ask_id).length === 1, 20_000, 'SENS to take the first attempt');
    sens.delayMs = 0;
    const reports = await stream.waitFor((rs) => notification(rs) !== undefined, 20_000, 'the notice outcome');
    expect(notification(reports)).toMatchObject({ channel: 'alimtalk', status: 'sent', attempts: 2 });
    expect(sens.listCalls).toBeGreaterThan(0);
    expect(notices(ask.ask_id)).toHaveLength(1);
    const cancelled = await post(nexus.baseUrl, `/commands/${commandId}/cancel`, {}, tenant, { 'x-user-id': 'teacher-kim' });
    expect(cancelled.status).toBe(202);
    stream.close();
  });
});
