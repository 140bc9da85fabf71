/** Logical field → the spreadsheet header that holds it. */
export type ColumnMapping = Record<string, string>;
/** As a caller gives it: a field left undefined is detected like one not given. */
export type ColumnChoice = Readonly<Record<string, string | undefined>>;

interface ColumnField {
  /** Shown beside the field wherever a person maps it (the dashboard's form reads it from the params schema). */
  description: string;
  /** The same in Korean, shown by a Korean dashboard. */
  ko: string;
  /** Headers teachers actually write, compared without case, spaces, `_` or `-`. */
  headers: readonly string[];
}

/**
 * The logical fields a template can use by name, in the order a person maps them. The first field's list that
 * matches a header wins; explicit `columns` params always override these.
 */
export const COLUMN_FIELDS = {
  student: { description: "The student's name", ko: '학생 이름', headers: ['학생', '이름', '학생명', '학생이름', '성명', 'name', 'student', 'studentname'] },
  phone: {
    description: "The guardian's mobile number, the one messages go to (required)",
    ko: '메시지를 받을 보호자 휴대폰 번호 (필수)',
    headers: [
      '보호자연락처', '보호자전화', '보호자전화번호', '보호자휴대폰', '학부모연락처', '학부모전화', '학부모전화번호', '학부모휴대폰',
      '연락처', '전화번호', '휴대폰', '휴대폰번호', '핸드폰', 'phone', 'mobile', 'guardianphone', 'parentphone',
    ],
  },
  class: { description: 'The class', ko: '반', headers: ['반', '학급', '학년반', 'class', 'homeroom'] },
  grade: { description: 'The school year', ko: '학년', headers: ['학년', 'grade'] },
  number: { description: "The student's number in the class", ko: '출석 번호', headers: ['번호', '출석번호', 'no', 'number'] },
  score: { description: 'A score or grade to report', ko: '알릴 점수나 성적', headers: ['점수', '성적', '총점', '평균', 'score', 'total', 'average'] },
  month: { description: 'The period the message is about', ko: '메시지가 다루는 기간 (월)', headers: ['월', '기간', 'month', 'period'] },
} as const satisfies Record<string, ColumnField>;

const normalise = (header: string) => header.toLowerCase().replace(/[\s_-]+/g, '');

export interface ColumnDetection {
  mapping: ColumnMapping;
  problems: string[];
}

/** Explicit mapping first (each header must exist), then the known headers for whatever is still unmapped. */
export function detectColumns(headers: readonly string[], choice: ColumnChoice = {}): ColumnDetection {
  const explicit = Object.fromEntries(Object.entries(choice).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const mapping: ColumnMapping = {};
  const problems: string[] = [];
  for (const [field, header] of Object.entries(explicit)) {
    if (headers.includes(header)) mapping[field] = header;
    else problems.push(`columns.${field}: no column "${header}" (columns: ${headers.join(', ')})`);
  }
  const byNormal = new Map(headers.map((h) => [normalise(h), h] as const));
  for (const [field, { headers: names }] of Object.entries(COLUMN_FIELDS)) {
    if (field in explicit) continue;
    const found = names.map((n) => byNormal.get(n)).find((h) => h !== undefined);
    if (found) mapping[field] = found;
  }
  if (!mapping.phone && !('phone' in explicit)) {
    problems.push(`no phone column found; name it with columns.phone (columns: ${headers.join(', ')})`);
  }
  return { mapping, problems };
}
