import { describe, expect, it } from 'vitest';
import { outboxCsv, outboxResultOf } from './outbox-csv.js';

const HEADERS = ['row', 'recipient', 'message'] as const;

describe('outbox results', () => {
  it('recognises an outbox run by its shape and nothing else', () => {
    const result = { channel: 'outbox', outbox_file_id: 'f1', file: { file_id: 'x', name: '3월.xlsx', sha256: 'ab' }, rows: 3, recipients: 1, invalid_count: 2, sent: 0, messages: [{ row: 2, to: '01012345678', message: 'hi', idempotency_key: 'k' }, { row: 'bad' }], messages_truncated: false };
    expect(outboxResultOf(result)).toEqual({
      outbox_file_id: 'f1', file: { name: '3월.xlsx', sha256: 'ab' }, rows: 3, recipients: 1, invalid_count: 2,
      messages: [{ row: 2, to: '01012345678', message: 'hi', idempotency_key: 'k' }], messages_truncated: false,
    });
    expect(outboxResultOf({ ...result, channel: 'alimtalk' })).toBeUndefined();
    expect(outboxResultOf({ hello: 'world' })).toBeUndefined();
    expect(outboxResultOf(null)).toBeUndefined();
  });

  it('writes a CSV Excel opens as written: BOM, CRLF, quotes doubled, and no cell run as a formula', () => {
    const csv = outboxCsv([
      { row: 2, to: '01012345678', message: '민준 학부모님, "3월" 성적: 90점\n감사합니다' },
      { row: 3, to: '01098765432', message: '=HYPERLINK("http://evil.example","click")' },
      { row: 4, to: '01011112222', message: '-5점' },
    ], HEADERS);
    expect(csv).toBe('\uFEFF"row","recipient","message"\r\n' +
      '"2","010-1234-5678","민준 학부모님, ""3월"" 성적: 90점\n감사합니다"\r\n' +
      '"3","010-9876-5432","\'=HYPERLINK(""http://evil.example"",""click"")"\r\n' +
      '"4","010-1111-2222","\'-5점"\r\n');
  });
});
