import { z } from 'zod';
import { localizedDescriptionKey } from '../../contracts/localized-description.js';
import { COLUMN_FIELDS } from './columns.js';

/** A param's description in English (the planner's) and Korean (a Korean dashboard's). */
const described = (en: string, ko: string) => ({ description: en, [localizedDescriptionKey('ko')]: ko });

const Header = z.string().min(1).max(200);
/** A field a template names as `{{field}}`: one of COLUMN_FIELDS, or an alias of the caller's own. */
const FIELD_NAME = /^[\p{L}\p{N}_]{1,40}$/u;

/**
 * The known fields as properties (so a form can offer each with the sheet's headers), and any other field name as
 * an alias for a header.
 */
const ColumnMappingParam = z
  .object(Object.fromEntries(Object.entries(COLUMN_FIELDS).map(([field, { description, ko }]) => [field, Header.optional().meta(described(description, ko))])))
  .catchall(Header)
  .superRefine((mapping, ctx) => {
    for (const field of Object.keys(mapping)) {
      if (!FIELD_NAME.test(field)) ctx.addIssue({ code: 'custom', path: [field], message: 'a field name is 1–40 letters, digits or _' });
    }
  });

export const StudentKakaoParams = z.strictObject({
  file_id: z.uuid({ version: 'v4' }).meta(described('An .xlsx or .csv uploaded with POST /files', '올린 .xlsx 또는 .csv 파일')),
  template: z
    .string()
    .min(1)
    .max(1000)
    .meta(described(
      'The message, with {{placeholders}}: a field (student, phone, class, grade, number, score, month) or any column header',
      '보낼 메시지. {{자리표시}}에는 항목(student, phone, class, grade, number, score, month)이나 열 이름을 씁니다',
    )),
  columns: ColumnMappingParam
    .optional()
    .meta(described(
      'Field → column header, e.g. {"student": "이름", "phone": "보호자 연락처"}; the usual headers are detected without it',
      '항목마다 쓸 열. 흔한 열 이름은 자동으로 찾습니다',
    )),
  channel: z
    .enum(['outbox', 'alimtalk'])
    .default('outbox')
    .meta(described(
      'outbox (default): record the messages, send nothing. alimtalk: send through KakaoTalk AlimTalk (RED: asks first)',
      'outbox(기본): 메시지를 기록만 하고 보내지 않습니다. alimtalk: 카카오 알림톡으로 보냅니다 (RED: 먼저 승인을 받습니다)',
    )),
  sheet: z.string().min(1).max(100).optional().meta(described('Worksheet name in an .xlsx (default: the first one)', '.xlsx의 시트 이름 (기본: 첫 시트)')),
  template_code: z.string().min(1).max(100).optional().meta(described(
    'AlimTalk template code registered with Kakao (default: SENS_TEMPLATE_CODE)',
    '카카오에 등록한 알림톡 템플릿 코드 (기본: SENS_TEMPLATE_CODE)',
  )),
});
export type StudentKakaoParams = z.infer<typeof StudentKakaoParams>;
