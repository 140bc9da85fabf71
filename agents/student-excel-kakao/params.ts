import { z } from 'zod';
import { COLUMN_FIELDS } from './columns.js';

const Header = z.string().min(1).max(200);
/** A field a template names as `{{field}}`: one of COLUMN_FIELDS, or an alias of the caller's own. */
const FIELD_NAME = /^[\p{L}\p{N}_]{1,40}$/u;

/**
 * The known fields as properties (so a form can offer each with the sheet's headers), and any other field name as
 * an alias for a header.
 */
const ColumnMappingParam = z
  .object(Object.fromEntries(Object.entries(COLUMN_FIELDS).map(([field, { description }]) => [field, Header.optional().describe(description)])))
  .catchall(Header)
  .superRefine((mapping, ctx) => {
    for (const field of Object.keys(mapping)) {
      if (!FIELD_NAME.test(field)) ctx.addIssue({ code: 'custom', path: [field], message: 'a field name is 1–40 letters, digits or _' });
    }
  });

export const StudentKakaoParams = z.strictObject({
  file_id: z.uuid({ version: 'v4' }).describe('An .xlsx or .csv uploaded with POST /files'),
  template: z
    .string()
    .min(1)
    .max(1000)
    .describe('The message, with {{placeholders}}: a field (student, phone, class, grade, number, score, month) or any column header'),
  columns: ColumnMappingParam
    .optional()
    .describe('Field → column header, e.g. {"student": "이름", "phone": "보호자 연락처"}; the usual headers are detected without it'),
  channel: z
    .enum(['outbox', 'alimtalk'])
    .default('outbox')
    .describe('outbox (default): record the messages, send nothing. alimtalk: send through KakaoTalk AlimTalk (RED: asks first)'),
  sheet: z.string().min(1).max(100).optional().describe('Worksheet name in an .xlsx (default: the first one)'),
  template_code: z.string().min(1).max(100).optional().describe('AlimTalk template code registered with Kakao (default: SENS_TEMPLATE_CODE)'),
});
export type StudentKakaoParams = z.infer<typeof StudentKakaoParams>;
