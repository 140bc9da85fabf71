import { describe, expect, it } from 'vitest';
import { planRecipients } from './recipients.js';

const sheet = {
  headers: ['이름', '보호자 연락처', '점수'],
  rows: [
    { row: 2, values: { 이름: '김민준', '보호자 연락처': '010-1111-2222', 점수: '95' } },
    { row: 3, values: { 이름: '이서연', '보호자 연락처': '02-123-4567', 점수: '88' } },
    { row: 4, values: { 이름: '박지호', '보호자 연락처': '010-3333-4444', 점수: '' } },
    { row: 5, values: { 이름: '김민준', '보호자 연락처': '01011112222', 점수: '95' } },
  ],
};

describe('planRecipients', () => {
  it('makes one message per valid row and lists the others with their row and reason', () => {
    const plan = planRecipients(sheet, '{{student}} 학생 점수: {{점수}}점');
    expect(plan.recipients).toEqual([{ row: 2, phone: '01011112222', message: '김민준 학생 점수: 95점' }]);
    expect(plan.invalid).toEqual([
      { row: 3, reason: expect.stringContaining('not a Korean mobile') },
      { row: 4, reason: expect.stringContaining('점수') },
      { row: 5, reason: expect.stringContaining('duplicate of row 2') },
    ]);
    expect(plan.columns).toMatchObject({ student: '이름', phone: '보호자 연락처' });
  });
  it('refuses a template naming a field the sheet does not have', () => {
    expect(() => planRecipients(sheet, '{{student}}: {{grade}}')).toThrow(expect.objectContaining({ code: 'template_field_unknown' }));
  });
  it('refuses explicit columns that do not exist', () => {
    expect(() => planRecipients(sheet, '{{student}}', { phone: '전화' })).toThrow(expect.objectContaining({ code: 'columns_invalid' }));
  });
});
