import { formatPhone } from './phone-format.js';

/** One message an outbox recorded, as `student.excel_kakao` writes it (in its result and its outbox file). */
export interface OutboxMessage {
  row: number;
  to: string;
  message: string;
}

/** What an outbox run answered: the messages it recorded (at most 1000 listed) and where all of them are kept. */
export interface OutboxResult {
  outbox_file_id: string;
  file: { name: string; sha256: string } | undefined;
  rows: number;
  recipients: number;
  invalid_count: number;
  messages: OutboxMessage[];
  messages_truncated: boolean;
}

/** An outbox run's result, recognised by its shape (`channel: "outbox"`, the outbox file, the messages); else undefined. */
export function outboxResultOf(result: unknown): OutboxResult | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as Record<string, unknown>;
  if (r.channel !== 'outbox' || typeof r.outbox_file_id !== 'string' || !Array.isArray(r.messages)) return undefined;
  const messages = r.messages.filter(isMessage);
  const file = typeof r.file === 'object' && r.file !== null ? (r.file as Record<string, unknown>) : {};
  const count = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
  return {
    outbox_file_id: r.outbox_file_id,
    file: typeof file.name === 'string' && typeof file.sha256 === 'string' ? { name: file.name, sha256: file.sha256 } : undefined,
    rows: count(r.rows, messages.length),
    recipients: count(r.recipients, messages.length),
    invalid_count: count(r.invalid_count, 0),
    messages,
    messages_truncated: r.messages_truncated === true,
  };
}

export function isMessage(value: unknown): value is OutboxMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.row === 'number' && typeof m.to === 'string' && typeof m.message === 'string';
}

/**
 * The messages as a CSV Excel opens in Korean without asking: UTF-8 with a BOM, CRLF, every field quoted. A cell that
 * starts like a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'` so a spreadsheet shows it instead of running
 * it: the messages come from a sheet anyone could have written.
 */
export function outboxCsv(messages: readonly OutboxMessage[], headers: readonly [string, string, string]): string {
  const lines = [headers, ...messages.map((m) => [String(m.row), formatPhone(m.to), m.message] as const)];
  return `\uFEFF${lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}
