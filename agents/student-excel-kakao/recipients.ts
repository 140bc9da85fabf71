import { AgentError } from '../agent-error.js';
import { detectColumns, type ColumnChoice, type ColumnMapping } from './columns.js';
import { checkKoreanMobile } from './phone.js';
import type { Sheet } from '../../infra/files/read-sheet.js';
import { placeholders, renderTemplate } from './template.js';

/** AlimTalk's limit on `content`. */
const MAX_MESSAGE_CHARS = 1000;
/** Enough for a school; keeps a run's progress reports within the 1000 ids a step has. */
export const MAX_ROWS = 10_000;

export interface Recipient {
  row: number;
  phone: string;
  message: string;
}

export interface InvalidRow {
  row: number;
  reason: string;
}

export interface RecipientPlan {
  columns: ColumnMapping;
  rows: number;
  recipients: Recipient[];
  invalid: InvalidRow[];
}

/**
 * One message per valid row. A row is left out, with its Excel row number and a reason, when its phone number is
 * not a Korean mobile, a placeholder has no value, the message is too long, or it repeats an earlier row's exact
 * message to the same number (nobody means to send that twice).
 */
export function planRecipients(sheet: Pick<Sheet, 'headers' | 'rows'>, template: string, columns?: ColumnChoice): RecipientPlan {
  if (sheet.rows.length > MAX_ROWS) throw new AgentError('too_many_rows', `${sheet.rows.length} rows; at most ${MAX_ROWS} per command`, false);
  const { mapping, problems } = detectColumns(sheet.headers, columns);
  if (problems.length > 0) throw new AgentError('columns_invalid', problems.join('; '), false);
  const unknown = placeholders(template).filter((name) => !(name in mapping) && !sheet.headers.includes(name));
  if (unknown.length > 0) {
    throw new AgentError('template_field_unknown', `the template uses ${unknown.map((n) => `{{${n}}}`).join(', ')}, which is neither a field nor a column (columns: ${sheet.headers.join(', ')})`, false);
  }
  const phoneHeader = mapping.phone ?? '';
  const recipients: Recipient[] = [];
  const invalid: InvalidRow[] = [];
  const seen = new Map<string, number>();
  for (const { row, values } of sheet.rows) {
    const phone = checkKoreanMobile(values[phoneHeader] ?? '');
    if (!phone.ok) {
      invalid.push({ row, reason: phone.reason });
      continue;
    }
    const rendered = renderTemplate(template, (name) => values[mapping[name] ?? name]);
    if (!rendered.ok) {
      invalid.push({ row, reason: `빈 값: ${rendered.missing.join(', ')} (empty)` });
      continue;
    }
    if (rendered.text.length > MAX_MESSAGE_CHARS) {
      invalid.push({ row, reason: `메시지가 ${MAX_MESSAGE_CHARS}자를 넘음 (${rendered.text.length})` });
      continue;
    }
    const key = `${phone.phone}\n${rendered.text}`;
    const first = seen.get(key);
    if (first !== undefined) {
      invalid.push({ row, reason: `${first}행과 같은 번호·같은 메시지 (duplicate of row ${first})` });
      continue;
    }
    seen.set(key, row);
    recipients.push({ row, phone: phone.phone, message: rendered.text });
  }
  return { columns: mapping, rows: sheet.rows.length, recipients, invalid };
}
