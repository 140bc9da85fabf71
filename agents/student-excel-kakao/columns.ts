/** Logical field → the spreadsheet header that holds it. */
export type ColumnMapping = Record<string, string>;

/**
 * Headers teachers actually write, per logical field, compared without case, spaces, `_` or `-`.
 * The first list that matches a header wins; explicit `columns` params always override these.
 */
const KNOWN_HEADERS: Record<string, readonly string[]> = {
  student: ['학생', '이름', '학생명', '학생이름', '성명', 'name', 'student', 'studentname'],
  phone: [
    '보호자연락처', '보호자전화', '보호자전화번호', '보호자휴대폰', '학부모연락처', '학부모전화', '학부모전화번호', '학부모휴대폰',
    '연락처', '전화번호', '휴대폰', '휴대폰번호', '핸드폰', 'phone', 'mobile', 'guardianphone', 'parentphone',
  ],
  class: ['반', '학급', '학년반', 'class', 'homeroom'],
  grade: ['학년', 'grade'],
  number: ['번호', '출석번호', 'no', 'number'],
  score: ['점수', '성적', '총점', '평균', 'score', 'total', 'average'],
  month: ['월', '기간', 'month', 'period'],
};

const normalise = (header: string) => header.toLowerCase().replace(/[\s_-]+/g, '');

export interface ColumnDetection {
  mapping: ColumnMapping;
  problems: string[];
}

/** Explicit mapping first (each header must exist), then the known headers for whatever is still unmapped. */
export function detectColumns(headers: readonly string[], explicit: ColumnMapping = {}): ColumnDetection {
  const mapping: ColumnMapping = {};
  const problems: string[] = [];
  for (const [field, header] of Object.entries(explicit)) {
    if (headers.includes(header)) mapping[field] = header;
    else problems.push(`columns.${field}: no column "${header}" (columns: ${headers.join(', ')})`);
  }
  const byNormal = new Map(headers.map((h) => [normalise(h), h] as const));
  for (const [field, names] of Object.entries(KNOWN_HEADERS)) {
    if (field in explicit) continue;
    const found = names.map((n) => byNormal.get(n)).find((h) => h !== undefined);
    if (found) mapping[field] = found;
  }
  if (!mapping.phone && !('phone' in explicit)) {
    problems.push(`no phone column found; name it with columns.phone (columns: ${headers.join(', ')})`);
  }
  return { mapping, problems };
}
