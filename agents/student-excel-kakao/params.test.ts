import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { COLUMN_FIELDS } from './columns.js';
import { StudentKakaoParams } from './params.js';

const base = { file_id: '6f1c2c8e-6a55-4d6b-9d5e-2f6f0c7d8a11', template: '{{student}}' };

describe('StudentKakaoParams.columns', () => {
  it('names every known field in the schema a form is built from, with what it means', () => {
    const schema = z.toJSONSchema(StudentKakaoParams, { io: 'input' }) as unknown as { properties: { columns: { properties: Record<string, { description?: string }>; additionalProperties: unknown } } };
    const columns = schema.properties.columns;
    expect(Object.keys(columns.properties)).toEqual(Object.keys(COLUMN_FIELDS));
    expect(columns.properties.phone).toMatchObject({ description: COLUMN_FIELDS.phone.description, 'x-description-ko': COLUMN_FIELDS.phone.ko });
    expect(columns.additionalProperties).toMatchObject({ type: 'string' });
  });

  it('keeps aliases of the caller’s own, and refuses a field name a template could not write', () => {
    expect(StudentKakaoParams.parse({ ...base, columns: { phone: '엄마 번호', 담임: '담임 선생님' } }).columns).toEqual({ phone: '엄마 번호', 담임: '담임 선생님' });
    const refused = StudentKakaoParams.safeParse({ ...base, columns: { 'guardian phone': '엄마 번호' } });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['columns', 'guardian phone']);
    expect(StudentKakaoParams.safeParse({ ...base, columns: { phone: '' } }).success).toBe(false);
  });
});
