export type PhoneCheck = { ok: true; phone: string } | { ok: false; reason: string };

/**
 * Korean mobile numbers, normalised to digits only (`01012345678`), the form AlimTalk's `to` takes.
 * 010 numbers have 8 subscriber digits; the legacy 011/016/017/018/019 ranges have 7 or 8.
 * Accepts what spreadsheets really contain: hyphens, spaces, dots, `+82`, and numbers Excel stored as numbers
 * (which drops the leading 0: `1012345678`).
 */
export function checkKoreanMobile(raw: string): PhoneCheck {
  const value = raw.trim();
  if (!value) return { ok: false, reason: '전화번호 없음 (missing phone number)' };
  if (!/^[+\d\s().-]+$/.test(value)) return { ok: false, reason: `전화번호 형식 오류: "${value}" (not a phone number)` };
  let digits = value.replace(/\D/g, '');
  if (value.startsWith('+82') || (digits.startsWith('82') && digits.length >= 11 && digits.length <= 12)) {
    digits = `0${digits.slice(2)}`;
  }
  if (/^1[016789]\d{7,8}$/.test(digits)) digits = `0${digits}`;
  if (/^010\d{8}$/.test(digits) || /^01[16789]\d{7,8}$/.test(digits)) return { ok: true, phone: digits };
  return { ok: false, reason: `휴대폰 번호가 아님: "${value}" (not a Korean mobile number)` };
}
