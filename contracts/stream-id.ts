/**
 * Orders Redis stream ids (`<ms>-<seq>`, the seq optional) numerically; string order is wrong once the lengths
 * differ. Compared digit by digit, without parsing: every live write to every SSE client compares one.
 */
export function compareStreamIds(a: string, b: string): number {
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  const aEnd = aDash < 0 ? a.length : aDash;
  const bEnd = bDash < 0 ? b.length : bDash;
  return compareDigits(a, 0, aEnd, b, 0, bEnd) || compareDigits(a, aDash < 0 ? a.length : aDash + 1, a.length, b, bDash < 0 ? b.length : bDash + 1, b.length);
}

/** Compares the decimal numbers a[aFrom, aTo) and b[bFrom, bTo) (empty reads as 0; leading zeros allowed). */
function compareDigits(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number): number {
  while (aFrom < aTo && a.charCodeAt(aFrom) === ZERO) aFrom += 1;
  while (bFrom < bTo && b.charCodeAt(bFrom) === ZERO) bFrom += 1;
  const lengths = aTo - aFrom - (bTo - bFrom);
  if (lengths !== 0) return lengths < 0 ? -1 : 1;
  for (; aFrom < aTo; aFrom += 1, bFrom += 1) {
    const diff = a.charCodeAt(aFrom) - b.charCodeAt(bFrom);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

const ZERO = 48;
