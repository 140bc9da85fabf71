import { describe, expect, it } from 'vitest';
import { placeholders, renderTemplate } from './template.js';

const row: Record<string, string> = { student: '김민준', month: '3월', score: '95', 반: '3-A' };

describe('template', () => {
  it('lists the placeholders once each, spaces allowed', () => {
    expect(placeholders('{{student}} {{ month }} {{score}} {{student}} {{반}}')).toEqual(['student', 'month', 'score', '반']);
  });
  it('fills placeholders from the row', () => {
    expect(renderTemplate('{{student}} 학생의 {{ month }} 성적: {{score}}점 ({{반}})', (k) => row[k])).toEqual({
      ok: true, text: '김민준 학생의 3월 성적: 95점 (3-A)',
    });
  });
  it('reports empty and unknown values instead of rendering blanks', () => {
    expect(renderTemplate('{{student}}: {{grade}} {{grade}} {{note}}', (k) => (k === 'note' ? '  ' : row[k]))).toEqual({
      ok: false, missing: ['grade', 'note'],
    });
  });
  it('leaves text without placeholders alone', () => {
    expect(renderTemplate('안내드립니다.', () => undefined)).toEqual({ ok: true, text: '안내드립니다.' });
  });
});
