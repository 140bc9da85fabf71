import type { Tenant } from '../../contracts/index.js';
import type { BlobMeta, BlobStore } from '../../infra/files/blob-store.js';
import { kindFromContentType } from '../../infra/files/spreadsheet-kind.js';
import { defineAgent } from '../agent.js';
import { AgentError } from '../agent-error.js';
import { sendAlimtalk } from './alimtalk-sender.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import { recordOutbox } from './outbox.js';
import { StudentKakaoParams } from './params.js';
import { previewFailure } from './preview-failure.js';
import { readSheet, SheetError } from '../../infra/files/read-sheet.js';
import { planRecipients, type RecipientPlan } from './recipients.js';
import { SensAlimtalkClient, type SensSettings } from './sens-alimtalk-client.js';

/** `SENS_*` configuration; credentials may be absent (then only the outbox channel works). */
export interface SensConfig {
  baseUrl: string;
  accessKey: string | undefined;
  secretKey: string | undefined;
  serviceId: string | undefined;
  plusFriendId: string | undefined;
  templateCode: string | undefined;
  rateLimitPerSec: number;
  batchSize: number;
  timeoutMs: number;
}

export interface StudentKakaoDeps {
  blobStore: BlobStore;
  sens: SensConfig;
  /** Needed to send (exactly-once bookkeeping); the API process, which never sends, has none. */
  ledger: DeliveryLedger | undefined;
}

/** Rows listed in previews and results; the rest are counted. */
const LISTED_INVALID_ROWS = 200;
const LISTED_MESSAGES = 1000;

/**
 * `student.excel_kakao`: one KakaoTalk AlimTalk message per row of an uploaded spreadsheet (students' guardians),
 * drafted from a template. Outbox by default (YELLOW: reads personal data, sends nothing); alimtalk is RED.
 */
export function createStudentExcelKakaoAgent(deps: StudentKakaoDeps) {
  const load = async (params: StudentKakaoParams, tenant: Tenant): Promise<{ meta: BlobMeta; plan: RecipientPlan }> => {
    const file = await deps.blobStore.get(tenant, params.file_id);
    if (!file) throw new AgentError('file_not_found', `no file ${params.file_id} in this tenant; upload it with POST /files`, false);
    const sheet = await readSheet(kindFromContentType(file.meta.content_type), file.bytes, params.sheet).catch((err: unknown) => {
      throw err instanceof SheetError ? new AgentError(err.code, err.message, false) : err;
    });
    return { meta: file.meta, plan: planRecipients(sheet, params.template, params.columns) };
  };
  const sens = (params: StudentKakaoParams) => sensSettings(deps.sens, params.template_code);

  return defineAgent({
    name: 'student.excel_kakao',
    description:
      'Drafts one message per row of an uploaded spreadsheet (student, guardian phone, class, scores…) from a template, checks the Korean mobile numbers, and records the messages in an outbox (default) or sends them as KakaoTalk AlimTalk.',
    descriptions: {
      ko: '올린 스프레드시트의 행마다(학생, 보호자 연락처, 반, 성적…) 템플릿으로 메시지를 하나씩 만들고, 휴대폰 번호를 확인한 뒤 outbox에 기록하거나(기본) 카카오 알림톡으로 보냅니다.',
    },
    params: StudentKakaoParams,
    reportsProgress: true,
    // Sending reaches parents' phones: RED. The outbox reads personal data in bulk but nothing leaves: YELLOW.
    risk: (params) => (params.channel === 'alimtalk' ? 'RED' : 'YELLOW'),
    preview: async (params, ctx) => {
      try {
        const { meta, plan } = await load(params, ctx.tenant);
        if (params.channel === 'alimtalk') sens(params);
        const n = plan.recipients.length;
        const sending = params.channel === 'alimtalk';
        return {
          title: sending ? `학부모 ${n}명에게 카카오 알림톡 발송` : `알림톡 메시지 ${n}건 작성 (발송하지 않음)`,
          description:
            `${meta.name}: ${plan.rows}행 중 ${n}명에게 ${sending ? '발송' : '보낼 메시지를 outbox에 기록'}` +
            (plan.invalid.length > 0 ? `, ${plan.invalid.length}행 제외 (번호 오류 등).` : '.'),
          details: {
            channel: params.channel,
            file: { file_id: meta.file_id, name: meta.name, sha256: meta.sha256 },
            rows: plan.rows,
            recipients: n,
            invalid_count: plan.invalid.length,
            invalid_rows: plan.invalid.slice(0, LISTED_INVALID_ROWS),
            samples: plan.recipients.slice(0, 3).map((r) => ({ row: r.row, to: r.phone, message: r.message })),
            columns: plan.columns,
          },
        };
      } catch (err) {
        throw previewFailure(err);
      }
    },
    run: async (params, ctx) => {
      const { meta, plan } = await load(params, ctx.tenant);
      const summary = {
        channel: params.channel,
        file: { file_id: meta.file_id, name: meta.name, sha256: meta.sha256 },
        rows: plan.rows,
        recipients: plan.recipients.length,
        invalid_count: plan.invalid.length,
        invalid_rows: plan.invalid.slice(0, LISTED_INVALID_ROWS),
      };
      if (params.channel === 'outbox') {
        const outbox = await recordOutbox(deps.blobStore, ctx.tenant, { stepKey: ctx.idempotencyKey, sourceName: meta.name, recipients: plan.recipients });
        ctx.logger.info({ recipients: plan.recipients.length, outbox_file_id: outbox.fileId }, 'outbox recorded; nothing sent');
        return { ...summary, sent: 0, outbox_file_id: outbox.fileId, messages: outbox.messages.slice(0, LISTED_MESSAGES), messages_truncated: outbox.messages.length > LISTED_MESSAGES };
      }
      const settings = sens(params);
      if (!deps.ledger) throw new AgentError('sens_not_configured', 'this process has no Redis for the delivery ledger', false);
      const outcome = await sendAlimtalk(plan.recipients, {
        client: new SensAlimtalkClient(settings),
        ledger: deps.ledger,
        templateCode: settings.templateCode,
        batchSize: deps.sens.batchSize,
        messagesPerSecond: deps.sens.rateLimitPerSec,
      }, ctx);
      return { ...summary, ...outcome };
    },
  });
}

function sensSettings(config: SensConfig, templateCode: string | undefined): SensSettings & { templateCode: string } {
  const complete = completeSensSettings(config, templateCode ?? config.templateCode, 'SENS_TEMPLATE_CODE');
  if ('missing' in complete) {
    throw new AgentError('sens_not_configured', `AlimTalk is not configured: set ${complete.missing.join(', ')} (or use channel "outbox")`, false);
  }
  return complete;
}

/**
 * The settings a SENS client sends with one template, when every one of them is set; otherwise the names of the
 * variables to set (`templateVariable` names where the template code comes from).
 */
export function completeSensSettings(config: Omit<SensConfig, 'templateCode'>, templateCode: string | undefined, templateVariable: string): (SensSettings & { templateCode: string }) | { missing: string[] } {
  const { accessKey, secretKey, serviceId, plusFriendId } = config;
  if (!accessKey || !secretKey || !serviceId || !plusFriendId || !templateCode) {
    const missing = Object.entries({ SENS_ACCESS_KEY: accessKey, SENS_SECRET_KEY: secretKey, SENS_ALIMTALK_SERVICE_ID: serviceId, SENS_PLUS_FRIEND_ID: plusFriendId, [templateVariable]: templateCode })
      .filter(([, v]) => !v)
      .map(([k]) => k);
    return { missing };
  }
  return { baseUrl: config.baseUrl, accessKey, secretKey, serviceId, plusFriendId, templateCode, timeoutMs: config.timeoutMs };
}
