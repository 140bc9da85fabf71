import { describe, expect, it } from 'vitest';
import { detectColumns } from './columns.js';

describe('detectColumns', () => {
  it('recognises the usual Korean headers', () => {
    expect(detectColumns(['번호', '이름', '반', '보호자 연락처', '국어', '총점']).mapping).toEqual({
      number: '번호', student: '이름', class: '반', phone: '보호자 연락처', score: '총점',
    });
  });
  it('recognises English headers whatever their case and separators', () => {
    expect(detectColumns(['Student Name', 'Guardian_Phone', 'CLASS', 'Score']).mapping).toEqual({
      student: 'Student Name', phone: 'Guardian_Phone', class: 'CLASS', score: 'Score',
    });
  });
  it('prefers the guardian phone over a generic one', () => {
    expect(detectColumns(['이름', '연락처', '학부모 전화번호']).mapping.phone).toBe('학부모 전화번호');
  });
  it('lets explicit columns override detection, and names a missing header', () => {
    const result = detectColumns(['학생', '엄마 번호', '연락처'], { phone: '엄마 번호', score: '점수' });
    expect(result.mapping).toMatchObject({ student: '학생', phone: '엄마 번호' });
    expect(result.problems).toEqual([expect.stringContaining('columns.score: no column "점수"')]);
  });
  it('detects a field given as undefined like one not given', () => {
    expect(detectColumns(['이름', '연락처'], { student: undefined }).mapping).toEqual({ student: '이름', phone: '연락처' });
  });
  it('reports a sheet with no phone column', () => {
    expect(detectColumns(['이름', '점수']).problems).toEqual([expect.stringContaining('no phone column')]);
  });
});
