import { z } from 'zod';

export const StudentKakaoParams = z.strictObject({
  file_id: z.uuid({ version: 'v4' }).describe('An .xlsx or .csv uploaded with POST /files'),
  template: z
    .string()
    .min(1)
    .max(1000)
    .describe('The message, with {{placeholders}}: a field (student, phone, class, grade, number, score, month) or any column header'),
  columns: z
    .record(z.string().regex(/^[\p{L}\p{N}_]{1,40}$/u), z.string().min(1).max(200))
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
